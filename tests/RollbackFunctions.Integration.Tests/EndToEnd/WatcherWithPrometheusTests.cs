using System.Net;
using System.Text.Json.Nodes;
using RollbackFunctions.Core.Deploys;

namespace RollbackFunctions.Integration.Tests.EndToEnd;

/// <summary>
/// The deploy's own watcher against a real Prometheus scraping a gauge the test sets (one class per
/// case, so they run in parallel): a breach starts the rollback through the same claim as alerts,
/// observe mode only reports, and an alert arriving with the breach still makes one rollback.
/// </summary>
internal static class WatchedDeploys
{
    /// <summary>Registers and completes a deploy with one webhook step and one check on the test's gauge, watched every 5 s.</summary>
    public static async Task<(string Id, JsonObject Reply)> RegisterAsync(TestRuntime runtime, LocalReceiver receiver, string service, string mode = "act", string environment = "prod")
    {
        var id = $"{service}-{Guid.NewGuid():N}"[..30];
        var deploy = Payloads.DiamondDeploy(id, receiver, service, environment);
        deploy["steps"] = new JsonArray(Payloads.Step("rollout", receiver));
        deploy["mode"] = mode;
        deploy["conditions"] = new JsonObject
        {
            ["checks"] = new JsonArray(new JsonObject { ["name"] = "errors", ["query"] = $"max(checkout_error_ratio{{service=\"{service}\"}})", ["unhealthyAbove"] = 0.05, ["failureLimit"] = 2 }),
            ["watchInterval"] = "00:00:02",
            ["interval"] = "00:00:01",
            ["requiredHealthyChecks"] = 2,
            ["verifyWindow"] = "00:00:30",
        };
        using var reply = await runtime.PostJsonAsync("/api/deploys", deploy);
        var body = JsonNode.Parse(await reply.Content.ReadAsStringAsync())!.AsObject();
        Assert.True(reply.StatusCode == HttpStatusCode.Created, body.ToJsonString());
        (await runtime.Http.PostAsync($"/api/deploys/{id}/complete", null)).Dispose(); // CI applied every step
        return (id, body);
    }
}

public sealed class WatcherBreachTests
{
    [SkippableFact]
    public async Task Breach_StartsTheRollback_WithTheChecksAsEvidence_ThenVerifies()
    {
        await using var prometheus = await PrometheusProcess.StartAsync(initialErrorRatio: 0.0, service: "watched");
        await using var receiver = await LocalReceiver.StartAsync();
        receiver.OnReceived = call =>
        {
            if (call.Path == "rollout")
            {
                prometheus.ErrorRatio = 0.0; // the revert fixes production
            }
        };
        await using var runtime = await TestRuntime.StartAsync($"Rollback:Prometheus:BaseUrl={prometheus.BaseUrl}");
        await prometheus.WaitForValueAsync(0.0, TimeSpan.FromSeconds(30));
        var (id, _) = await WatchedDeploys.RegisterAsync(runtime, receiver, "watched");
        await Eventually.HoldsAsync(
            async () => (await runtime.GetJsonAsync($"/api/deploys/{id}"))["watch"]?["state"]?.GetValue<string>() == "watching",
            TimeSpan.FromSeconds(30), () => "the watcher never sampled");

        prometheus.ErrorRatio = 0.4; // the deploy breaks production
        var rollback = await runtime.WaitForTerminalRollbackAsync(Identifiers.RollbackIdFor(id), TimeSpan.FromSeconds(90));

        Assert.Equal("succeeded", (string?)rollback["phase"]);
        Assert.Equal("watcher", (string?)rollback["trigger"]!["kind"]);
        var breach = rollback["trigger"]!["breaches"]![0]!;
        Assert.Equal("errors", (string?)breach["check"]);
        Assert.Equal(0.4, (double)breach["value"]!);
        Assert.Equal(2, (int)breach["samplesInARow"]!);
        Assert.Equal("above 0.05", (string?)breach["threshold"]);
        var deploy = await runtime.GetJsonAsync($"/api/deploys/{id}");
        Assert.Equal("breached", (string?)deploy["watch"]!["state"]);
        Assert.Single(receiver.Received, r => r.Path == "rollout");
    }

}

/// <summary>Observe mode: everything runs, nothing is reverted.</summary>
public sealed class WatcherObserveModeTests
{
    [SkippableFact]
    public async Task ObserveMode_Breach_OnlyReportsWouldRollBack()
    {
        await using var prometheus = await PrometheusProcess.StartAsync(initialErrorRatio: 0.0, service: "observed");
        await using var receiver = await LocalReceiver.StartAsync();
        await using var runtime = await TestRuntime.StartAsync(
            $"Rollback:Prometheus:BaseUrl={prometheus.BaseUrl}",
            $"Rollback:Notifications:Default:SlackWebhookUrl={receiver.BaseUrl}/slack/T0/B0/x");

        var (id, _) = await WatchedDeploys.RegisterAsync(runtime, receiver, "observed", mode: "observe");
        // Healthy before the deploy (its baseline); then the deploy breaks production.
        await Eventually.HoldsAsync(
            async () => (await runtime.GetJsonAsync($"/api/deploys/{id}"))["watch"]?["state"]?.GetValue<string>() == "watching",
            TimeSpan.FromSeconds(30), () => "the watcher never sampled");
        prometheus.ErrorRatio = 0.4;
        // Two breaching samples 5 s apart take ~13 s alone; a loaded 2-core run has taken 40 s, so the bound is generous.
        await receiver.WaitForAsync(r => r.Any(x => x.Path.StartsWith("slack", StringComparison.Ordinal)), TimeSpan.FromSeconds(90), "the would-roll-back message");

        // The note on the deploy is written just after the message goes out: wait for it, not for a fixed time.
        var deploy = await Eventually.ReturnsAsync(
            async () => await runtime.GetJsonAsync($"/api/deploys/{id}") is var d && (string?)d["watch"]?["state"] == "wouldRollBack" ? d : null,
            TimeSpan.FromSeconds(20),
            () => "the deploy never recorded wouldRollBack");
        using var rollback = await runtime.Http.GetAsync($"/api/rollbacks/{Identifiers.RollbackIdFor(id)}");
        Assert.Equal(HttpStatusCode.NotFound, rollback.StatusCode);
        Assert.Contains("would roll back observed", (string?)deploy["watch"]!["note"]);
        Assert.Contains("WouldRollBack", receiver.Received.First(r => r.Path.StartsWith("slack", StringComparison.Ordinal)).Body);
        Assert.DoesNotContain(receiver.Received, r => r.Path == "rollout");
        Assert.Equal("baking", (string?)deploy["state"]);
    }

}

/// <summary>The watcher and an alert racing for one deploy.</summary>
public sealed class WatcherAndAlertTests
{
    [SkippableFact]
    public async Task AlertAndBreachTogether_StartOneRollback()
    {
        await using var prometheus = await PrometheusProcess.StartAsync(initialErrorRatio: 0.0, service: "both");
        await using var receiver = await LocalReceiver.StartAsync();
        // The revert fixes production, so the rollback verifies and ends instead of waiting out its window.
        receiver.OnReceived = call => prometheus.ErrorRatio = call.Path == "rollout" ? 0.0 : prometheus.ErrorRatio;
        await using var runtime = await TestRuntime.StartAsync($"Rollback:Prometheus:BaseUrl={prometheus.BaseUrl}");
        var (id, _) = await WatchedDeploys.RegisterAsync(runtime, receiver, "both");
        // Healthy before the deploy (its baseline); then the deploy breaks production.
        await Eventually.HoldsAsync(
            async () => (await runtime.GetJsonAsync($"/api/deploys/{id}"))["watch"]?["state"]?.GetValue<string>() == "watching",
            TimeSpan.FromSeconds(30), () => "the watcher never sampled");
        prometheus.ErrorRatio = 0.4;

        // The watcher breaches on its second unhealthy sample, one round (2 s) after its first: the
        // alert arrives in between, so both reach for the deploy about together.
        await Eventually.HoldsAsync(
            async () => (await runtime.GetJsonAsync($"/api/deploys/{id}"))["watch"]?["lastSamples"]?[0]?["verdict"]?.GetValue<string>() == "unhealthy",
            TimeSpan.FromSeconds(30), () => "the watcher never saw the breaking deploy", TimeSpan.FromMilliseconds(200));
        var firing = Payloads.AlertmanagerFiring("both", "prod");
        using (var alerted = await runtime.PostJsonAsync("/api/alerts/alertmanager", firing))
        {
            Assert.True(alerted.IsSuccessStatusCode, await alerted.Content.ReadAsStringAsync());
        }

        // Once reverted, the alert resolves (as Alertmanager would say), so verification need not wait out its window.
        await receiver.WaitForAsync(r => r.Any(x => x.Path == "rollout"), TimeSpan.FromSeconds(60), "the revert");
        (await runtime.PostJsonAsync("/api/alerts/alertmanager", Payloads.Resolved(firing))).Dispose();
        var rollback = await runtime.WaitForTerminalRollbackAsync(Identifiers.RollbackIdFor(id), TimeSpan.FromSeconds(90));
        await Task.Delay(TimeSpan.FromSeconds(3)); // a late second path would have claimed by now

        var all = JsonNode.Parse(await runtime.Http.GetStringAsync("/api/rollbacks?state=all"))!.AsArray();
        Assert.True(all.Count(r => (string?)r!["deployId"] == id) == 1, all.ToJsonString());
        Assert.Single(receiver.Received, r => r.Path == "rollout");
        Assert.Contains((string?)rollback["trigger"]!["kind"], new[] { "alert", "watcher" });
    }
}
