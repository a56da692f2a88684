using System.Diagnostics;
using System.Text;

namespace RollbackFunctions.Integration.Tests.Support;

/// <summary>
/// The local runtime as its own OS process, exactly as <c>dotnet run</c> starts it, so a test can
/// kill it without warning and start another on the same storage and task hub.
/// </summary>
internal sealed class RuntimeProcess : IAsyncDisposable
{
    private readonly Process process;
    private readonly StringBuilder output = new();

    private RuntimeProcess(string dll, string baseUrl, IEnumerable<string> settings)
    {
        BaseUrl = baseUrl;
        process = ChildProcess.StartShortLivedDotnet(dll, new[] { "--urls", baseUrl }.Concat(settings.Select(s => $"--{s}")), Append);
    }

    public string BaseUrl { get; }

    public string Output
    {
        get
        {
            lock (output)
            {
                return output.ToString();
            }
        }
    }

    public static async Task<RuntimeProcess> StartAsync(IEnumerable<string> settings)
    {
        var dll = Path.Combine(Repo.BuildOutput("RollbackFunctions.Local"), "RollbackFunctions.Local.dll");
        Assert.True(File.Exists(dll), $"{dll} is missing: build the solution first");
        // A free port is free when asked, not when the child binds it: with many test classes at once
        // another one may take it in between. The child then exits at once saying so; try a new port.
        for (var attempt = 1; ; attempt++)
        {
            var runtime = new RuntimeProcess(dll, $"http://127.0.0.1:{SharedAzurite.FreePort()}", settings);
            try
            {
                await ChildProcess.WaitUntilReadyAsync(runtime.process, $"{runtime.BaseUrl}/api/health", TimeSpan.FromSeconds(60), () => $"the local runtime did not become healthy:\n{runtime.Output}");
                return runtime;
            }
            catch when (attempt < 3 && runtime.Output.Contains("address already in use", StringComparison.Ordinal))
            {
                await runtime.DisposeAsync();
            }
            catch
            {
                await runtime.DisposeAsync();
                throw;
            }
        }
    }

    /// <summary>Ends the process at once, as a crash or an OOM kill would.</summary>
    public void Crash()
    {
        process.Kill(entireProcessTree: true);
        process.WaitForExit();
    }

    /// <summary>
    /// Stops the process the way a service manager or Kubernetes does (SIGTERM), waits for it to exit
    /// and returns its exit code.
    /// </summary>
    public async Task<int> StopGracefullyAsync(TimeSpan timeout)
    {
        using (var kill = ChildProcess.Start("kill", ["-TERM", $"{process.Id}"]))
        {
            await kill.WaitForExitAsync();
        }

        using var cancel = new CancellationTokenSource(timeout);
        await process.WaitForExitAsync(cancel.Token);
        return process.ExitCode;
    }

    public async ValueTask DisposeAsync() => await ChildProcess.StopAsync(process);

    private void Append(string line)
    {
        lock (output)
        {
            output.AppendLine(line);
        }
    }
}
