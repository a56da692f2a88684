using System.Diagnostics;
using RollbackFunctions.Local;

namespace RollbackFunctions.Integration.Tests.Local;

/// <summary>
/// SAFETY.md 10 for the local runtime's own children: Azurite, the <c>npm ci</c> that installs it
/// (which runs install scripts of packages from the registry) and the demo's Prometheus and
/// Alertmanager get the executors' allow-listed environment, not the host's settings and secrets.
/// </summary>
public sealed class LocalChildProcessTests
{
    [Fact]
    public async Task StartInfo_ChildEnvironment_HoldsNoneOfTheHostsSettings_ButWhatNpmAndNodeNeed()
    {
        // Not a Rollback__ name: runtimes built by other tests in this process read the environment.
        Environment.SetEnvironmentVariable("LOCAL_CHILD_TEST_SECRET", "local-host-secret-0123456789abcdef");
        Environment.SetEnvironmentVariable("npm_config_fund", "false");

        var start = LocalChildProcess.StartInfo("/usr/bin/env", Path.GetTempPath());
        start.RedirectStandardOutput = true;
        using var child = Process.Start(start)!;
        var printed = await child.StandardOutput.ReadToEndAsync();
        await child.WaitForExitAsync();

        Assert.DoesNotContain("local-host-secret", printed, StringComparison.Ordinal);
        Assert.Contains("PATH=", printed, StringComparison.Ordinal);
        Assert.Contains("npm_config_fund=false", printed, StringComparison.Ordinal);
    }
}
