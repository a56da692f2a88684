using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Watching;

namespace RollbackFunctions.Integration.Tests.EndToEnd;

/// <summary>
/// Issue 16, defect 4 on the local runtime: a watcher that stops sampling shows on the deploy list
/// (the ops page's source) and in <c>/metrics</c>, and a lost one is restarted by the sweep that
/// recovers lost rollback claims. No metric source is configured: every sample is an error, which
/// is still a sample.
/// </summary>
[StartsFirst]
public sealed class WatcherSweepTests
{
    [SkippableFact]
    public async Task StalledWatcher_ShowsStale_ThenALostOneIsRestartedByTheSweep()
    {
        await using var receiver = await LocalReceiver.StartAsync();
        // Stale after three missed 2 s rounds (6 s), not the product's 15 s least grace: the same rule, sooner.
        await using var runtime = await TestRuntime.StartAsync(
            "Rollback:Orchestration:LostClaimSweepInterval=00:00:01",
            "Rollback:Orchestration:WatcherSweepInterval=00:00:01",
            "Rollback:Orchestration:WatcherStaleGrace=00:00:01");
        var id = await Watching.RegisterAsync(runtime, receiver, Repo.UniqueName("swept"), Watching.GaugeCheck("swept"));
        await Watching.WatchAsync(runtime, id, w => (string?)w["state"] == "watching", "the deploy was never watched");
        var durable = runtime.Services.GetRequiredService<DurableTaskClient>();
        var instance = DeployWatchOrchestrator.InstanceIdFor(id);

        // Suspended: alive but not sampling. Shown, not started twice.
        await durable.SuspendInstanceAsync(instance, "test: a watcher that stopped sampling");
        var listed = await Eventually.ReturnsAsync(
            async () => (await runtime.Http.GetFromJsonAsync<JsonArray>("/api/deploys?state=all"))!.FirstOrDefault(d => (string?)d!["deployId"] == id && (bool?)d["watchStale"] == true),
            TimeSpan.FromSeconds(40), () => "the stalled watcher never showed as stale", TimeSpan.FromMilliseconds(500));
        await Eventually.HoldsAsync(
            async () => StaleWatchers(await runtime.Http.GetStringAsync("/metrics")) >= 1,
            TimeSpan.FromSeconds(10), () => "/metrics never counted the stale watcher", TimeSpan.FromMilliseconds(200));
        Assert.Equal(OrchestrationRuntimeStatus.Suspended, (await durable.GetInstanceAsync(instance))!.RuntimeStatus);

        // Terminated: lost. The sweep starts it again, and it samples. (A suspended instance takes no
        // events, a termination included, until it is resumed.)
        await durable.ResumeInstanceAsync(instance, "test");
        await durable.TerminateInstanceAsync(instance, "test: a watcher lost");
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            await durable.WaitForInstanceCompletionAsync(instance, timeout.Token);
        }

        var stalledAt = (DateTimeOffset)(await runtime.GetJsonAsync($"/api/deploys/{id}"))["watch"]!["at"]!;
        await Watching.WatchAsync(runtime, id, w => (string?)w["state"] == "watching" && (DateTimeOffset)w["at"]! > stalledAt, "the sweep never restarted the watcher", seconds: 40);

        Assert.Equal(OrchestrationRuntimeStatus.Running, (await durable.GetInstanceAsync(instance))!.RuntimeStatus);
        Assert.NotNull(listed!["watchAt"]);
    }

    private static double StaleWatchers(string metrics) =>
        metrics.Split('\n').Where(l => l.StartsWith("rollback_watchers_stale", StringComparison.Ordinal))
            .Select(l => double.Parse(l.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture)).DefaultIfEmpty(0).Max();
}

/// <summary>Issue 16, defect 9: observe mode applied to the watcher only; an alert still rolled an observe-mode deploy back.</summary>
public sealed class ObserveModeAlertTests
{
    [SkippableFact]
    public async Task AlertOnAnObserveModeDeploy_PagesWouldRollBack_AndRollsNothingBack()
    {
        await using var receiver = await LocalReceiver.StartAsync();
        await using var runtime = await TestRuntime.StartAsync(Watching.Slack(receiver));
        var service = Repo.UniqueName("obsm");
        var id = Repo.UniqueName(service);
        var deploy = Payloads.DiamondDeploy(id, receiver, service);
        deploy["mode"] = "observe";
        await Api.AlertIntakeApiTests.RegisterCompletedAsync(runtime, deploy);

        using var reply = await runtime.PostJsonAsync("/api/alerts/alertmanager", Payloads.AlertmanagerFiring(service, "prod"));
        var start = (await reply.Content.ReadFromJsonAsync<JsonObject>())!["deploys"]!.AsArray().Single()!;
        await receiver.WaitForAsync(r => r.Any(x => x.Path.StartsWith("slack", StringComparison.Ordinal) && x.Body.Contains("WouldRollBack", StringComparison.Ordinal)), TimeSpan.FromSeconds(30), "the would-roll-back page");

        Assert.False(start["started"]!.GetValue<bool>());
        Assert.Contains("observe mode", (string?)start["refusal"]);
        Assert.False(await Watching.HasRollbackAsync(runtime, id));
        Assert.DoesNotContain(receiver.Received, r => r.Path is "schema" or "config" or "flags" or "rollout");
        Assert.Equal("baking", (string?)(await runtime.GetJsonAsync($"/api/deploys/{id}"))["state"]);
    }
}

/// <summary>
/// Issue 16, defect 1: <c>RollbackStarter</c> had no liveness or supersession rule, so the older of
/// two breaching watchers was claimed first and the service went two versions back.
/// </summary>
public sealed class RollbackStarterLifecycleTests
{
    [SkippableFact]
    public async Task WatcherTriggerForASupersededDeploy_IsRefused_AndTheNewerOneIsRolledBack()
    {
        await using var receiver = await LocalReceiver.StartAsync();
        await using var runtime = await TestRuntime.StartAsync();
        var service = Repo.UniqueName("sup");
        var older = Repo.UniqueName(service);
        var newer = Repo.UniqueName(service);
        await Api.AlertIntakeApiTests.RegisterCompletedAsync(runtime, Payloads.DiamondDeploy(older, receiver, service));
        await Api.AlertIntakeApiTests.RegisterCompletedAsync(runtime, Payloads.DiamondDeploy(newer, receiver, service));
        var starter = runtime.Services.GetRequiredService<RollbackFunctions.Api.Rollbacks.RollbackStarter>();
        var durable = runtime.Services.GetRequiredService<DurableTaskClient>();
        var trigger = new Core.Rollbacks.RollbackTrigger(Core.Audit.TriggerKinds.Watcher, Core.Audit.RollbackActors.System, "watcher: errors 0.4 is above 0.05", []);

        var refused = await starter.StartAsync(durable, older, trigger, CancellationToken.None);
        var started = await starter.StartAsync(durable, newer, trigger, CancellationToken.None);

        Assert.False(refused.Started);
        Assert.Contains($"superseded by {newer}", refused.Refusal);
        Assert.False(await Watching.HasRollbackAsync(runtime, older));
        Assert.True(started.Started);
    }
}
