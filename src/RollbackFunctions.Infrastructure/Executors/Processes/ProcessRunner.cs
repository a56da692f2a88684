using System.Runtime.InteropServices;
using System.Text;
using CliWrap;
using Microsoft.Extensions.Options;
using RollbackFunctions.Infrastructure.Audit;

namespace RollbackFunctions.Infrastructure.Executors.Processes;

/// <summary>
/// The one way executors run a binary (helm, terraform, git, migration tools): never through a
/// shell; the binary is a configured absolute path, arguments are added one by one, the working
/// directory is given, the environment is the allow-listed one (<see cref="ChildEnvironment"/>),
/// and what it prints is captured with every configured secret masked before anyone sees it.
/// A run is bounded by its budget, stopping included: past it (or on cancellation) the tool gets
/// SIGINT, SIGTERM after the grace period, SIGKILL after another; a tool killed outright keeps
/// terraform's state lock and leaves helm releases <c>pending-rollback</c>.
/// </summary>
public sealed class ProcessRunner(SecretRedactor redactor, IOptions<ProcessOptions>? options = null)
{
    private const int SigTerm = 15;

    private readonly TimeSpan gracePeriod = options?.Value.GracePeriod ?? new ProcessOptions().GracePeriod;

    /// <summary>The grace period a run with <paramref name="budget"/> gets: a quarter of it at most, so both grace periods fit.</summary>
    public TimeSpan GraceFor(TimeSpan budget) => TimeSpan.FromTicks(Math.Min(gracePeriod.Ticks, Math.Max(budget.Ticks / 4, 0)));

    /// <summary>Runs <paramref name="binary"/>; everything, stopping included, ends within <paramref name="budget"/>.</summary>
    public async Task<ProcessResult> RunAsync(
        string binary,
        IEnumerable<string> arguments,
        string workingDirectory,
        TimeSpan budget,
        CancellationToken cancellationToken,
        IReadOnlyDictionary<string, string?>? environment = null)
    {
        var grace = GraceFor(budget);
        using var forceful = new CancellationTokenSource();
        using var graceful = new CancellationTokenSource();
        var output = new StringBuilder();
        var error = new StringBuilder();
        var command = Cli.Wrap(binary)
            .WithArguments(args =>
            {
                foreach (var argument in arguments)
                {
                    args.Add(argument);
                }
            })
            .WithWorkingDirectory(workingDirectory)
            .WithEnvironmentVariables(ChildEnvironment.For(environment))
            .WithStandardOutputPipe(PipeTarget.ToStringBuilder(output))
            .WithStandardErrorPipe(PipeTarget.ToStringBuilder(error))
            .WithValidation(CommandResultValidation.None)
            .ExecuteAsync(forceful.Token, graceful.Token);
        var running = Ended(command.Task);

        string? endedBy = null;
        if (!await FinishesWithinAsync(running, budget - (2 * grace), cancellationToken))
        {
            endedBy = "SIGINT";
            await graceful.CancelAsync();
            if (!await FinishesWithinAsync(running, grace, CancellationToken.None))
            {
                endedBy = "SIGTERM";
                _ = Kill(command.ProcessId, SigTerm);
                if (!await FinishesWithinAsync(running, grace, CancellationToken.None))
                {
                    endedBy = "SIGKILL";
                    await forceful.CancelAsync();
                }
            }
        }

        var exitCode = await running;
        var stderr = redactor.Redact(error.ToString());
        return endedBy is null
            ? new ProcessResult(exitCode, redactor.Redact(output.ToString()), stderr, TimedOut: false)
            : new ProcessResult(exitCode, redactor.Redact(output.ToString()),
                $"{stderr.TrimEnd()}\n{Path.GetFileName(binary)} stopped after {budget} (ended by {endedBy})".Trim(), TimedOut: true, endedBy);
    }

    /// <summary>The exit code; -1 when CliWrap reports the run cancelled (the process has exited by then).</summary>
    private static async Task<int> Ended(Task<CommandResult> task)
    {
        try
        {
            return (await task).ExitCode;
        }
        catch (OperationCanceledException)
        {
            return -1;
        }
    }

    private static async Task<bool> FinishesWithinAsync(Task running, TimeSpan limit, CancellationToken cancellationToken)
    {
        if (limit <= TimeSpan.Zero)
        {
            return running.IsCompleted;
        }

        try
        {
            await running.WaitAsync(limit, cancellationToken);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return running.IsCompleted;
        }
    }

    // DllImport, not LibraryImport: the generated stub needs unsafe code, and kill(2) takes two ints.
#pragma warning disable SYSLIB1054, CA5392
    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
#pragma warning restore SYSLIB1054, CA5392
}
