using System.Text;

namespace RollbackFunctions.Integration.Tests.EndToEnd;

/// <summary>
/// <c>RollbackFunctions.Local demo</c> run as users run it, as its own process with its output
/// redirected: it must end by itself, exit 0, and have shown the rollback from breach to verified,
/// the timeline and the report.
/// </summary>
public static class FireDrill
{
    public static async Task<string> RunAsync(params string[] options)
    {
        var connection = await SharedAzurite.ConnectionStringAsync();
        var dll = Path.Combine(Repo.BuildOutput("RollbackFunctions.Local"), "RollbackFunctions.Local.dll");
        var output = new StringBuilder();
        using var process = ChildProcess.StartShortLivedDotnet(dll,
            // Port 0: the drill prints the address it was given, and a port chosen here could be
            // taken by another process of the run in the seconds before the drill binds it.
            ["demo", .. options, "--urls", "http://127.0.0.1:0",
             $"--Rollback:Storage:ConnectionString={connection}", $"--Rollback:Storage:TablePrefix={Repo.UniqueName("demo")}", $"--Rollback:Durable:TaskHub={Repo.UniqueName("demo")}"],
            line => { lock (output) { output.AppendLine(line); } });
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            await ChildProcess.StopAsync(process);
            Assert.Fail($"the drill did not end within 2 minutes:\n{output}");
        }

        var text = output.ToString();
        Assert.True(process.ExitCode == 0, $"the drill exited {process.ExitCode}:\n{text}");
        return text;
    }

    public static void AssertShowsTheWholeIncident(string output)
    {
        Assert.Contains("Watch it on the ops page: http://127.0.0.1:", output);
        Assert.Contains("/api/ui#rollback=rb-demo-", output);
        Assert.Contains("rollingBack", output);
        Assert.Contains("✔ rollout", output);
        Assert.Contains("first revert started", output);
        Assert.Contains("# Rollback rb-demo-", output);
        Assert.Contains("— Succeeded", output);
        // Reverse order: the rollout (applied last) first, the infrastructure (applied first) last.
        Assert.Contains("| `rollout` | webhook | 0 | Reverted", output);
        Assert.Contains("| `terraform` | webhook | 3 | Reverted", output);
    }
}

public sealed class FireDrillSyntheticTests
{
    [SkippableFact]
    public async Task Demo_WithASyntheticAlert_RollsBackFiveLayersAndPrintsTheReport()
    {
        var output = await FireDrill.RunAsync("--synthetic");

        FireDrill.AssertShowsTheWholeIncident(output);
        Assert.Contains("the demo sends the Alertmanager alert itself", output);
    }
}

public sealed class FireDrillRealMonitoringTests
{
    [SkippableFact]
    public async Task Demo_WithTheInstalledPrometheusAndAlertmanager_DetectsTheBreachItself()
    {
        RealParts.Require(PrometheusProcess.Installed && AlertmanagerProcess.Installed, "prometheus and prometheus-alertmanager (Debian packages)");

        var output = await FireDrill.RunAsync();

        FireDrill.AssertShowsTheWholeIncident(output);
        Assert.Contains("Using the real Prometheus and Alertmanager", output);
        Assert.Contains("verified healthy", output);
    }
}
