using Microsoft.Extensions.Options;
using RollbackFunctions.Infrastructure.Audit;
using RollbackFunctions.Infrastructure.Executors.Processes;

namespace RollbackFunctions.Infrastructure.Tests.Executors;

/// <summary>
/// The process runner with real child processes: what environment a tool sees (SAFETY.md 10) and
/// how a tool past its budget is stopped (SIGINT, SIGTERM, SIGKILL), recorded by a bash stand-in.
/// </summary>
public sealed class ProcessRunnerTests : IDisposable
{
    private readonly StandIn tool = StandIn.Create("tool", """
        trap 'echo INT >> "$state/signals"; if [ -f "$state/exit-on-int" ]; then exit 130; fi' INT
        trap 'echo TERM >> "$state/signals"; if [ -f "$state/exit-on-term" ]; then exit 143; fi' TERM
        echo started > "$state/started"
        for i in $(seq 1 600); do sleep 0.05; done
        """);

    // A grace period of a second: the stand-in's trap runs only once its current `sleep` ends, and a
    // busy 2-core machine can take hundreds of milliseconds to start one.
    private static ProcessRunner Runner(TimeSpan grace) =>
        new(new SecretRedactor([]), Options.Create(new ProcessOptions { GracePeriod = grace }));

    [Fact]
    public async Task RunAsync_ChildEnvironment_HoldsNoneOfTheHostsSettings()
    {
        // What the host holds in production: app settings and resolved Key Vault values.
        Environment.SetEnvironmentVariable("Rollback__Executors__Git__Repositories__config__Token", "ghp_hostsecret0123456789");
        Environment.SetEnvironmentVariable("AzureWebJobsStorage", "DefaultEndpointsProtocol=https;AccountKey=hostkey==");

        var result = await Runner(TimeSpan.FromSeconds(1)).RunAsync("/usr/bin/env", [], Path.GetTempPath(), TimeSpan.FromSeconds(30), default,
            new Dictionary<string, string?> { ["TF_IN_AUTOMATION"] = "1" });

        var names = result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line.Split('=')[0]).ToList();
        Assert.DoesNotContain("ghp_hostsecret0123456789", result.StandardOutput);
        Assert.DoesNotContain("hostkey", result.StandardOutput);
        Assert.Contains("PATH", names);
        Assert.Contains("TF_IN_AUTOMATION", names);
        Assert.All(names, name => Assert.True(
            name == "TF_IN_AUTOMATION" || ChildEnvironment.Allowed.Contains(name) || name.StartsWith("LC_", StringComparison.Ordinal)
            || name is "PWD" or "SHLVL" or "_", // set by env/the kernel for every process, not inherited
            $"the child saw the host's {name}"));
    }

    [Fact]
    public async Task RunAsync_PastItsBudget_SendsSigintFirst_AndAToolThatStopsThereEndsBySigint()
    {
        tool.Write("exit-on-int", "");

        var result = await Runner(TimeSpan.FromSeconds(5)).RunAsync(tool.Path, [], tool.Folder, TimeSpan.FromSeconds(2), default);

        Assert.True(result.TimedOut);
        Assert.Equal("SIGINT", result.EndedBy);
        Assert.Equal(["INT"], File.ReadAllLines(Path.Combine(tool.Folder, "signals")));
        Assert.Contains("ended by SIGINT", result.Tail());
    }

    [Fact]
    public async Task RunAsync_ToolIgnoresSigint_GetsSigtermAfterTheGracePeriod()
    {
        tool.Write("exit-on-term", "");

        var result = await Runner(TimeSpan.FromSeconds(1)).RunAsync(tool.Path, [], tool.Folder, TimeSpan.FromSeconds(2), default);

        Assert.Equal("SIGTERM", result.EndedBy);
        Assert.Equal(["INT", "TERM"], File.ReadAllLines(Path.Combine(tool.Folder, "signals")));
    }

    [Fact]
    public async Task RunAsync_ToolIgnoresSigintAndSigterm_IsKilled()
    {
        var result = await Runner(TimeSpan.FromSeconds(1)).RunAsync(tool.Path, [], tool.Folder, TimeSpan.FromSeconds(2), default);

        Assert.Equal("SIGKILL", result.EndedBy);
        Assert.Equal(-1, result.ExitCode);
        Assert.Equal(["INT", "TERM"], File.ReadAllLines(Path.Combine(tool.Folder, "signals")));
    }

    [Fact]
    public async Task RunAsync_Cancelled_InterruptsTheToolGracefully()
    {
        tool.Write("exit-on-int", "");
        using var cancel = new CancellationTokenSource();
        var run = Runner(TimeSpan.FromSeconds(5)).RunAsync(tool.Path, [], tool.Folder, TimeSpan.FromMinutes(5), cancel.Token);
        await Eventually.HoldsAsync(() => Task.FromResult(tool.Has("started")), TimeSpan.FromSeconds(30), () => "the tool never started");

        await cancel.CancelAsync();
        var result = await run;

        Assert.Equal("SIGINT", result.EndedBy);
        Assert.Equal(["INT"], File.ReadAllLines(Path.Combine(tool.Folder, "signals")));
    }

    public void Dispose() => tool.Dispose();
}
