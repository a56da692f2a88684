using System.Text.Json.Nodes;
using RollbackFunctions.Core.Alerts;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Notifications;
using RollbackFunctions.Core.Rollbacks;
using RollbackFunctions.Infrastructure.Notifications;

namespace RollbackFunctions.Infrastructure.Tests.Notifications;

/// <summary>The Events API v2 body against the schema's rules (PagerDuty api-schema, events-v2).</summary>
public sealed class PagerDutyEventTests
{
    private const string Key = "R0UT1NGKEY0123456789ABCDEFGHIJKL";

    [Fact]
    public void EventFor_Started_IsATriggerWithEveryRequiredFieldAndTheEvidence()
    {
        var body = PagerDutyChannel.EventFor(Page(PageKind.RollbackStarted, "rollback of checkout 1.4.2 in prod in progress"), Key, $"https://x/api/rollbacks/{Identifiers.RollbackIdFor("d1")}");

        PagerDutySchema.AssertValid(body);
        Assert.Equal("trigger", body["event_action"]!.GetValue<string>());
        Assert.Equal(Identifiers.RollbackIdFor("d1"), body["dedup_key"]!.GetValue<string>());
        Assert.Equal("critical", body["payload"]!["severity"]!.GetValue<string>());
        var details = body["payload"]!["custom_details"]!;
        Assert.Equal("HighErrorRate", details["trigger"]!["alerts"]![0]!["name"]!.GetValue<string>());
        Assert.Equal("http://prometheus/graph", details["trigger"]!["alerts"]![0]!["generatorURL"]!.GetValue<string>());
        Assert.Equal("rollout", details["plan"]![0]!["step"]!.GetValue<string>());
        Assert.Equal($"https://x/api/rollbacks/{Identifiers.RollbackIdFor("d1")}", body["links"]![0]!["href"]!.GetValue<string>());
    }

    [Fact]
    public void EventFor_LongSummary_IsCutTo1024()
    {
        var body = PagerDutyChannel.EventFor(Page(PageKind.RollbackFailed, new string('x', 5000)), Key, "https://x");

        PagerDutySchema.AssertValid(body);
        Assert.Equal(1024, body["payload"]!["summary"]!.GetValue<string>().Length);
    }

    [Fact]
    public void EventFor_Succeeded_ResolvesTheSameDedupKey()
    {
        var body = PagerDutyChannel.EventFor(Page(PageKind.RollbackSucceeded, "done"), Key, "https://x");

        PagerDutySchema.AssertValid(body);
        Assert.Equal("resolve", body["event_action"]!.GetValue<string>());
        Assert.Equal(Identifiers.RollbackIdFor("d1"), body["dedup_key"]!.GetValue<string>());
    }

    [Fact]
    public void EventFor_ApprovalNeeded_LinksTheOpsPageOfTheWaitingStepFirst()
    {
        var page = Page(PageKind.ApprovalNeeded, "approval needed") with
        {
            Steps = [new RollbackStepRecord("rollout", "webhook", 0, StepStatus.AwaitingApproval, 0, null, null, "policy asks")],
        };
        var links = PageLinks.For("https://rollback.example/", page);

        var body = PagerDutyChannel.EventFor(page, Key, links.Status, links.OpsPage);

        PagerDutySchema.AssertValid(body);
        Assert.Equal($"https://rollback.example/api/ui#rollback={Identifiers.RollbackIdFor("d1")}&step=rollout", body["links"]![0]!["href"]!.GetValue<string>());
        Assert.Equal(links.Status, body["links"]![1]!["href"]!.GetValue<string>());
    }

    private static Page Page(PageKind kind, string summary)
    {
        var alert = new AlertSignal(AlertSource.Alertmanager, "k", "HighErrorRate", AlertStatus.Firing,
            new Dictionary<string, string> { ["service"] = "checkout" }, new Dictionary<string, string> { ["summary"] = "errors" }, DateTimeOffset.UtcNow, "http://prometheus/graph");
        var deploy = new DeployRecord
        {
            DeployId = "d1", Service = "checkout", Environment = "prod", Version = "1.4.2", Labels = new Dictionary<string, string>(), WatchMinutes = 30,
            Steps = [], State = DeployState.Halted, RegisteredAt = DateTimeOffset.UtcNow, RegistrationDigest = "x",
        };
        var rollback = new RollbackRecord
        {
            RollbackId = Identifiers.RollbackIdFor("d1"), DeployId = "d1", Phase = RollbackPhase.Paging, ClaimedAt = DateTimeOffset.UtcNow,
            Trigger = new RollbackTrigger("alert", "system", "matched d1", [alert]),
        };
        return new Page(kind, summary, deploy, rollback, [new RollbackStepRecord("rollout", "webhook", 0, StepStatus.Pending, 0, null, null, "planned")], []);
    }
}
