using System.Text.Json.Nodes;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Integration.Tests.Notifications;

namespace RollbackFunctions.Integration.Tests.EndToEnd;

/// <summary>
/// The whole loop with a real Prometheus: alert, page first (a local receiver stands in for
/// PagerDuty), reverts, verification by querying Prometheus on durable timers, resolve or escalate.
/// </summary>
public sealed class VerificationWithPrometheusTests
{
    private const string RoutingKey = "R0UT1NGKEY0123456789ABCDEFGHIJKL";

    [SkippableFact]
    public async Task MetricRecoversAfterTheRevert_RollbackSucceedsAndThePageResolves()
    {
        await using var prometheus = await PrometheusProcess.StartAsync(initialErrorRatio: 0.4);
        await using var receiver = await LocalReceiver.StartAsync();
        receiver.OnReceived = call =>
        {
            if (call.Path == "rollout")
            {
                prometheus.ErrorRatio = 0.0; // the revert fixes production
            }
        };
        await using var runtime = await StartRuntimeAsync(prometheus, receiver);

        var rollback = await RollBackAsync(runtime, receiver, "verify-ok");

        Assert.Equal("succeeded", rollback["phase"]!.GetValue<string>());
        var samples = rollback["verification"]!.AsArray();
        Assert.True(samples.Count >= 3);
        Assert.All(samples.TakeLast(3), s => Assert.Equal("healthy", s!["verdict"]!.GetValue<string>()));

        await receiver.WaitForAsync(r => r.Any(x => x.Path == "v2/enqueue" && x.Body.Contains("\"resolve\"")), TimeSpan.FromSeconds(30), "the resolve event");
        var paths = receiver.Paths.ToList();
        var pages = receiver.Received.Where(r => r.Path == "v2/enqueue").Select(r => JsonNode.Parse(r.Body)!).ToList();
        // The page goes out with the first level (rollout) and is delivered before the second (issue 21).
        Assert.True(paths.IndexOf("v2/enqueue") < paths.IndexOf("config") && paths.IndexOf("v2/enqueue") < paths.IndexOf("flags"), $"paged before the second level: {string.Join(", ", paths)}");
        Assert.All(pages, PagerDutySchema.AssertValid);
        Assert.Equal("trigger", pages[0]["event_action"]!.GetValue<string>());
        Assert.Contains("in progress", pages[0]["payload"]!["summary"]!.GetValue<string>());
        Assert.Equal("resolve", pages[^1]["event_action"]!.GetValue<string>());
        Assert.Equal(pages[0]["dedup_key"]!.GetValue<string>(), pages[^1]["dedup_key"]!.GetValue<string>());
        Assert.Contains("v2/change/enqueue", paths); // the deploy and the rollback as change events
    }

    [SkippableFact]
    public async Task MetricStaysBad_RollbackFailsAndEscalates()
    {
        await using var prometheus = await PrometheusProcess.StartAsync(initialErrorRatio: 0.4);
        await using var receiver = await LocalReceiver.StartAsync();
        await using var runtime = await StartRuntimeAsync(prometheus, receiver);

        var rollback = await RollBackAsync(runtime, receiver, "verify-bad", verifyWindow: "00:00:05");

        Assert.Equal("failed", rollback["phase"]!.GetValue<string>());
        Assert.Contains("did not restore health", rollback["summary"]!.GetValue<string>());
        Assert.All(rollback["verification"]!.AsArray(), s => Assert.Equal("unhealthy", s!["verdict"]!.GetValue<string>()));
        // The terminal phase is recorded before the escalation goes out.
        await receiver.WaitForAsync(r => r.Count(x => x.Path == "v2/enqueue") >= 2, TimeSpan.FromSeconds(30), "the escalation page");
        var last = JsonNode.Parse(receiver.Received.Last(r => r.Path == "v2/enqueue").Body)!;
        PagerDutySchema.AssertValid(last);
        Assert.Equal("trigger", last["event_action"]!.GetValue<string>());
        Assert.Contains("did not restore health", last["payload"]!["summary"]!.GetValue<string>());
        Assert.Equal("RollbackFailed", last["payload"]!["class"]!.GetValue<string>());
    }

    private static Task<TestRuntime> StartRuntimeAsync(PrometheusProcess prometheus, LocalReceiver receiver) => TestRuntime.StartAsync(
        $"Rollback:Prometheus:BaseUrl={prometheus.BaseUrl}",
        $"Rollback:Notifications:PagerDutyEventsUrl={receiver.BaseUrl}",
        $"Rollback:Notifications:Default:PagerDutyRoutingKey={RoutingKey}");

    private static async Task<JsonObject> RollBackAsync(TestRuntime runtime, LocalReceiver receiver, string service, string verifyWindow = "00:00:40")
    {
        var id = $"{service}-{Guid.NewGuid():N}"[..30];
        var deploy = Payloads.DiamondDeploy(id, receiver, service);
        deploy["conditions"] = new JsonObject
        {
            ["checks"] = new JsonArray(new JsonObject { ["name"] = "errors", ["query"] = "max(checkout_error_ratio)", ["unhealthyAbove"] = 0.05 }),
            ["interval"] = "00:00:01",
            ["requiredHealthyChecks"] = 3,
            ["verifyWindow"] = verifyWindow,
        };
        await Api.AlertIntakeApiTests.RegisterCompletedAsync(runtime, deploy);
        (await runtime.PostJsonAsync("/api/alerts/alertmanager", Payloads.AlertmanagerFiring(service, "prod"))).Dispose();
        return await runtime.WaitForTerminalRollbackAsync(Identifiers.RollbackIdFor(id), TimeSpan.FromSeconds(90));
    }
}
