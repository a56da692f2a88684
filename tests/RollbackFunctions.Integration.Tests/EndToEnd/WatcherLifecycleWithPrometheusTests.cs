using System.Net;
using System.Text.Json.Nodes;
using RollbackFunctions.Core.Deploys;

namespace RollbackFunctions.Integration.Tests.EndToEnd;

/// <summary>
/// Issue 16 on the local runtime with the real Prometheus scraping a service whose series the test
/// controls (one class per case, so they run in parallel; watched every 2 s, two scrapes).
/// </summary>
internal static class Watching
{
    public static string Slack(LocalReceiver receiver) => $"Rollback:Notifications:Default:SlackWebhookUrl={receiver.BaseUrl}/slack/T0/B0/x";

    /// <summary>A deploy with one webhook step and one check on the test's gauge, watched every 2 s; completed unless <paramref name="complete"/> is false.</summary>
    public static async Task<string> RegisterAsync(TestRuntime runtime, LocalReceiver receiver, string service, JsonObject check, bool complete = true)
    {
        var id = $"{service}-{Guid.NewGuid():N}"[..30];
        var deploy = Payloads.DiamondDeploy(id, receiver, service);
        deploy["labels"] = new JsonObject(); // the test's series carry service and environment only
        deploy["steps"] = new JsonArray(Payloads.Step("rollout", receiver));
        deploy["conditions"] = new JsonObject
        {
            ["checks"] = new JsonArray(check),
            ["watchInterval"] = "00:00:02",
            ["interval"] = "00:00:01",
            ["requiredHealthyChecks"] = 2,
            ["verifyWindow"] = "00:00:30",
        };
        using var reply = await runtime.PostJsonAsync("/api/deploys", deploy);
        Assert.True(reply.StatusCode == HttpStatusCode.Created, await reply.Content.ReadAsStringAsync());
        if (complete)
        {
            (await runtime.Http.PostAsync($"/api/deploys/{id}/complete", null)).Dispose();
        }

        return id;
    }

    public static JsonObject GaugeCheck(string service, int failureLimit = 2, int consecutiveErrorLimit = 4) => new()
    {
        ["name"] = "errors",
        ["query"] = $"max(checkout_error_ratio{{service=\"{service}\"}})",
        ["unhealthyAbove"] = 0.05,
        ["failureLimit"] = failureLimit,
        ["consecutiveErrorLimit"] = consecutiveErrorLimit,
    };

    public static async Task<JsonObject> WatchAsync(TestRuntime runtime, string id, Func<JsonObject, bool> condition, string what, int seconds = 60) =>
        await Eventually.ReturnsAsync(
            async () => (await runtime.GetJsonAsync($"/api/deploys/{id}"))["watch"] is JsonObject watch && condition(watch) ? watch : null,
            TimeSpan.FromSeconds(seconds), () => what, TimeSpan.FromMilliseconds(200));

    public static async Task<bool> HasRollbackAsync(TestRuntime runtime, string id)
    {
        using var response = await runtime.Http.GetAsync($"/api/rollbacks/{Identifiers.RollbackIdFor(id)}");
        return response.StatusCode != HttpStatusCode.NotFound;
    }
}

/// <summary>Issue 16, defect 3: fresh pods have no <c>code="500"</c> series, so the errorRatio template was no data and a good rollback was reported failed.</summary>
public sealed class NoErrorSeriesVerificationTests
{
    [SkippableFact]
    public async Task ServiceWithNoFiveHundredSeriesAtAll_RollbackVerifiesHealthy()
    {
        await using var prometheus = await PrometheusProcess.StartAsync(initialErrorRatio: 0.0, service: "fresh");
        prometheus.RequestRates["200"] = 20; // only successes: the 5xx series does not exist
        await using var receiver = await LocalReceiver.StartAsync();
        await using var runtime = await TestRuntime.StartAsync($"Rollback:Prometheus:BaseUrl={prometheus.BaseUrl}");
        var check = new JsonObject { ["name"] = "errors", ["template"] = "errorRatio", ["unhealthyAbove"] = 0.05 };
        var id = await Watching.RegisterAsync(runtime, receiver, "fresh", check);

        (await runtime.PostJsonAsync("/api/alerts/alertmanager", Payloads.AlertmanagerFiring("fresh", "prod"))).Dispose();
        var rollback = await runtime.WaitForTerminalRollbackAsync(Identifiers.RollbackIdFor(id), TimeSpan.FromSeconds(90));

        Assert.True((string?)rollback["phase"] == "succeeded", rollback.ToJsonString());
        Assert.Contains("verified healthy on errors", (string?)rollback["summary"]);
        Assert.All(rollback["verification"]!.AsArray().TakeLast(2), s => Assert.Equal(0.0, (double)s!["checks"]![0]!["value"]!));
    }
}

/// <summary>Issue 16, defect 2: a hotfix registered while the service fails was rolled back before it applied anything, and its gate closed for good.</summary>
public sealed class HotfixWhileFailingTests
{
    [SkippableFact]
    public async Task HotfixWhileFailing_NotJudgedBeforeApplied_ThenPagesAlreadyFailingInsteadOfRollingBack()
    {
        await using var prometheus = await PrometheusProcess.StartAsync(initialErrorRatio: 0.4, service: "hotfix");
        await using var receiver = await LocalReceiver.StartAsync();
        await using var runtime = await TestRuntime.StartAsync($"Rollback:Prometheus:BaseUrl={prometheus.BaseUrl}", Watching.Slack(receiver));
        var id = await Watching.RegisterAsync(runtime, receiver, "hotfix", Watching.GaugeCheck("hotfix"), complete: false);

        // Two rounds after the baseline, nothing applied: a watcher judging from registration would have breached.
        var first = await Watching.WatchAsync(runtime, id, w => (string?)w["state"] == "waiting" && ((string?)w["note"])!.Contains("nothing applied"), "the watcher never waited");
        await Watching.WatchAsync(runtime, id, w => (string?)w["state"] == "waiting" && (DateTimeOffset)w["at"]! > (DateTimeOffset)first["at"]!, "no second round");
        Assert.False(await Watching.HasRollbackAsync(runtime, id));
        var deploy = await runtime.GetJsonAsync($"/api/deploys/{id}");
        Assert.Equal("unhealthy", (string?)deploy["baseline"]!["checks"]![0]!["verdict"]);

        (await runtime.PostJsonAsync($"/api/deploys/{id}/steps/rollout", new JsonObject { ["status"] = "applied" })).Dispose();
        await receiver.WaitForAsync(r => r.Any(x => x.Path.StartsWith("slack", StringComparison.Ordinal) && x.Body.Contains("already failing before this deploy", StringComparison.Ordinal)), TimeSpan.FromSeconds(60), "the already-failing page");

        Assert.False(await Watching.HasRollbackAsync(runtime, id));
        Assert.DoesNotContain(receiver.Received, r => r.Path == "rollout");
        // The notice is recorded as delivered once Slack has answered, a moment after the receiver saw the page.
        await Eventually.HoldsAsync(
            async () => (await runtime.GetJsonAsync($"/api/deploys/{id}"))["notices"]!.AsArray().Any(n => (string?)n!["kind"] == "AlreadyFailing" && (bool?)n["delivered"] == true),
            TimeSpan.FromSeconds(30), () => "the already-failing notice was never recorded as delivered", TimeSpan.FromMilliseconds(200));
    }
}

/// <summary>Issue 16, defect 1: both watchers of two deploys breached, and the service went two versions back.</summary>
public sealed class SupersededWatcherTests
{
    [SkippableFact]
    public async Task TwoWatchedDeploys_OnlyTheNewerIsRolledBack_AndTheOldersWatcherEndsSuperseded()
    {
        await using var prometheus = await PrometheusProcess.StartAsync(initialErrorRatio: 0.0, service: "twins");
        await using var receiver = await LocalReceiver.StartAsync();
        receiver.OnReceived = call => prometheus.ErrorRatio = call.Path == "rollout" ? 0.0 : prometheus.ErrorRatio;
        await using var runtime = await TestRuntime.StartAsync($"Rollback:Prometheus:BaseUrl={prometheus.BaseUrl}");
        var older = await Watching.RegisterAsync(runtime, receiver, "twins", Watching.GaugeCheck("twins"));
        await Watching.WatchAsync(runtime, older, w => (string?)w["state"] == "watching", "the older deploy was never watched");
        var newer = await Watching.RegisterAsync(runtime, receiver, "twins", Watching.GaugeCheck("twins"));
        await Watching.WatchAsync(runtime, newer, w => (string?)w["state"] == "watching", "the newer deploy was never watched");

        prometheus.ErrorRatio = 0.4; // the newer deploy breaks production
        var rollback = await runtime.WaitForTerminalRollbackAsync(Identifiers.RollbackIdFor(newer), TimeSpan.FromSeconds(90));
        var ended = await Watching.WatchAsync(runtime, older, w => (string?)w["state"] == "ended", "the older watcher never ended");

        Assert.Equal("watcher", (string?)rollback["trigger"]!["kind"]);
        Assert.Equal("superseded", (string?)ended["reason"]);
        Assert.Contains(newer, (string?)ended["note"]);
        Assert.False(await Watching.HasRollbackAsync(runtime, older));
        Assert.Single(receiver.Received, r => r.Path == "rollout");
    }
}

/// <summary>Issue 16, defect 4: an open circuit or a storage fault failed the watcher for good while the deploy showed "watching".</summary>
[StartsFirst]
public sealed class SourceDownWatcherTests
{
    [SkippableFact]
    public async Task PrometheusDownForSomeIntervals_WatcherStaysAliveAndActsWhenItIsBack()
    {
        await using var prometheus = await PrometheusProcess.StartAsync(initialErrorRatio: 0.0, service: "blind");
        await using var receiver = await LocalReceiver.StartAsync();
        receiver.OnReceived = call => prometheus.ErrorRatio = call.Path == "rollout" ? 0.0 : prometheus.ErrorRatio;
        await using var runtime = await TestRuntime.StartAsync($"Rollback:Prometheus:BaseUrl={prometheus.BaseUrl}", Watching.Slack(receiver));
        var id = await Watching.RegisterAsync(runtime, receiver, "blind", Watching.GaugeCheck("blind", consecutiveErrorLimit: 2));
        await Watching.WatchAsync(runtime, id, w => (string?)w["state"] == "watching", "the deploy was never watched");

        await prometheus.StopAsync();
        await receiver.WaitForAsync(r => r.Any(x => x.Path.StartsWith("slack", StringComparison.Ordinal) && x.Body.Contains("cannot evaluate", StringComparison.Ordinal)), TimeSpan.FromSeconds(60), "the cannot-evaluate page");
        var blind = await Watching.WatchAsync(runtime, id, w => (string?)w["lastSamples"]![0]!["verdict"] == "error", "no error sample");

        prometheus.ErrorRatio = 0.4; // back, and the deploy is bad now
        await prometheus.StartAgainAsync();
        var rollback = await runtime.WaitForTerminalRollbackAsync(Identifiers.RollbackIdFor(id), TimeSpan.FromSeconds(90));

        Assert.Equal("watcher", (string?)rollback["trigger"]!["kind"]);
        Assert.Contains("query failed", (string?)blind["lastSamples"]![0]!["detail"]);
    }
}

/// <summary>Issue 16, defect 5: only failures in a row counted, so a deploy alternating bad and good samples never breached.</summary>
[StartsFirst]
public sealed class FlappingWatcherTests
{
    [SkippableFact]
    public async Task AlternatingBadAndGoodSamples_BreachAtTheFailureLimit()
    {
        await using var prometheus = await PrometheusProcess.StartAsync(initialErrorRatio: 0.0, service: "flappy");
        await using var receiver = await LocalReceiver.StartAsync();
        await using var runtime = await TestRuntime.StartAsync($"Rollback:Prometheus:BaseUrl={prometheus.BaseUrl}");
        var id = await Watching.RegisterAsync(runtime, receiver, "flappy", Watching.GaugeCheck("flappy", failureLimit: 3));
        var last = await Watching.WatchAsync(runtime, id, w => (string?)w["state"] == "watching", "the deploy was never watched");

        // After each sample the series flips, so the samples alternate bad, good, bad, good, bad.
        for (var round = 0; !await Watching.HasRollbackAsync(runtime, id); round++)
        {
            Assert.True(round < 12, "no breach after 12 alternating samples");
            var at = (DateTimeOffset)last["at"]!;
            var seen = (string?)last["lastSamples"]![0]!["verdict"];
            prometheus.ErrorRatio = seen == "unhealthy" ? 0.0 : 0.4;
            last = await Watching.WatchAsync(runtime, id, w => (DateTimeOffset)w["at"]! > at, "the watcher stopped sampling");
        }

        var breach = (await runtime.GetJsonAsync($"/api/rollbacks/{Identifiers.RollbackIdFor(id)}"))["trigger"]!["breaches"]![0]!;
        Assert.Equal(3, (int)breach["unhealthySamples"]!);
        Assert.Equal(1, (int)breach["samplesInARow"]!);
    }
}
