using CliWrap;
using CliWrap.Buffered;
using RollbackFunctions.Infrastructure.Audit;

namespace RollbackFunctions.Infrastructure.Executors.Processes;

/// <summary>How a program ended; output already redacted.</summary>
public sealed record ProcessResult(int ExitCode, string StandardOutput, string StandardError, bool TimedOut)
{
    /// <summary>The last lines of what the program said, for a step's detail.</summary>
    public string Tail(int maxLength = 400)
    {
        var text = (StandardError.Trim().Length > 0 ? StandardError : StandardOutput).Trim();
        return text.Length <= maxLength ? text : "…" + text[^maxLength..];
    }
}

/// <summary>
/// The one way executors run a binary (helm, terraform, git): never through a shell; the binary is a
/// configured absolute path, arguments are added one by one, the working directory is given, the
/// run is bounded in time and killed past it, and what it prints is captured with every configured
/// secret masked before anyone sees it.
/// </summary>
public sealed class ProcessRunner(SecretRedactor redactor)
{
    public async Task<ProcessResult> RunAsync(
        string binary,
        IEnumerable<string> arguments,
        string workingDirectory,
        TimeSpan timeout,
        CancellationToken cancellationToken,
        IReadOnlyDictionary<string, string?>? environment = null)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        try
        {
            var result = await Cli.Wrap(binary)
                .WithArguments(args =>
                {
                    foreach (var argument in arguments)
                    {
                        args.Add(argument);
                    }
                })
                .WithWorkingDirectory(workingDirectory)
                .WithEnvironmentVariables(environment ?? new Dictionary<string, string?>())
                .WithValidation(CommandResultValidation.None)
                .ExecuteBufferedAsync(limit.Token);
            return new ProcessResult(result.ExitCode, redactor.Redact(result.StandardOutput), redactor.Redact(result.StandardError), TimedOut: false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new ProcessResult(-1, "", $"{Path.GetFileName(binary)} killed after {timeout}", TimedOut: true);
        }
    }
}
