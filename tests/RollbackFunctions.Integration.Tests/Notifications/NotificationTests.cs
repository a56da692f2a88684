using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Infrastructure.Audit;
using RollbackFunctions.Infrastructure.Notifications;

namespace RollbackFunctions.Integration.Tests.Notifications;

/// <summary>Routing, chat channels and secrecy, with a local receiver standing in for PagerDuty, Slack and Teams.</summary>
public sealed class NotificationTests
{
    private const string RoutingKey = "R0UT1NGKEY0123456789ABCDEFGHIJKL";
    private const string SlackToken = "SLACKSECRETTOKEN0042";

    [Fact]
    public void RouteFor_PrefersServiceAndEnvironmentThenServiceThenEnvironmentThenDefault()
    {
        var options = new NotificationOptions
        {
            Default = new NotificationRoute { SlackWebhookUrl = "https://default" },
            Routes =
            [
                new NotificationRoute { Environment = "prod", SlackWebhookUrl = "https://env" },
                new NotificationRoute { Service = "checkout", SlackWebhookUrl = "https://service" },
                new NotificationRoute { Service = "checkout", Environment = "prod", SlackWebhookUrl = "https://both" },
            ],
        };
        var pager = new Pager([], new StaticOptions(options), new SecretRedactor([]), NullLogger<Pager>.Instance);

        Assert.Equal("https://both", pager.RouteFor("checkout", "prod").SlackWebhookUrl);
        Assert.Equal("https://service", pager.RouteFor("checkout", "staging").SlackWebhookUrl);
        Assert.Equal("https://env", pager.RouteFor("cart", "prod").SlackWebhookUrl);
        Assert.Equal("https://default", pager.RouteFor("cart", "staging").SlackWebhookUrl);
    }

    [SkippableFact]
    public async Task Rollback_PagerDutyDown_StillRollsBack_ChatChannelsGetTheEvidence_AndNoSecretLeaks()
    {
        await using var receiver = await LocalReceiver.StartAsync();
        receiver.Statuses["v2/enqueue"] = 400; // PagerDuty refuses; not transient, so no retry
        await using var runtime = await TestRuntime.StartAsync(
            $"Rollback:Notifications:PagerDutyEventsUrl={receiver.BaseUrl}",
            $"Rollback:Notifications:Routes:0:Service=chatty",
            $"Rollback:Notifications:Routes:0:PagerDutyRoutingKey={RoutingKey}",
            $"Rollback:Notifications:Routes:0:SlackWebhookUrl={receiver.BaseUrl}/slack/T0/B0/{SlackToken}",
            $"Rollback:Notifications:Routes:0:TeamsWebhookUrl={receiver.BaseUrl}/teams/webhookb2/{SlackToken}");
        var id = $"chat-{Guid.NewGuid():N}";
        var deploy = Payloads.DiamondDeploy(id, receiver, "chatty");
        deploy["steps"] = new JsonArray(Payloads.Step("schema", receiver));
        await Api.AlertIntakeApiTests.RegisterCompletedAsync(runtime, deploy);

        (await runtime.Http.PostAsync($"/api/deploys/{id}/rollback", null)).Dispose();
        var rollback = await runtime.WaitForTerminalRollbackAsync(Identifiers.RollbackIdFor(id), TimeSpan.FromSeconds(60));
        await receiver.WaitForAsync(r => r.Count(x => x.Path.StartsWith("slack", StringComparison.Ordinal)) >= 2, TimeSpan.FromSeconds(30), "the final chat message");

        Assert.Equal("succeeded", rollback["phase"]!.GetValue<string>());
        var slack = JsonNode.Parse(receiver.Received.First(r => r.Path.StartsWith("slack", StringComparison.Ordinal)).Body)!;
        Assert.Contains("RollbackStarted", slack["text"]!.GetValue<string>());
        // Sent with the first level's reverts (issue 21): the plan is in its summary, the step rows may not be stored yet.
        Assert.Contains("reverting schema", slack["text"]!.GetValue<string>());
        var teams = JsonNode.Parse(receiver.Received.First(r => r.Path.StartsWith("teams", StringComparison.Ordinal)).Body)!;
        Assert.Equal("MessageCard", teams["@type"]!.GetValue<string>());
        // The ops page first: where an operator acts; then the JSON status.
        Assert.EndsWith($"/api/ui#rollback={Identifiers.RollbackIdFor(id)}", teams["potentialAction"]![0]!["targets"]![0]!["uri"]!.GetValue<string>());
        Assert.EndsWith($"/api/rollbacks/{Identifiers.RollbackIdFor(id)}", teams["potentialAction"]![1]!["targets"]![0]!["uri"]!.GetValue<string>());

        var audit = await runtime.GetJsonAsync($"/api/rollbacks/{Identifiers.RollbackIdFor(id)}/audit");
        var pages = audit["rows"]!.AsArray().Where(r => r!["action"]!.GetValue<string>() == "page.sent").ToList();
        Assert.Contains(pages, r => r!["outcome"]!.GetValue<string>() == "failed" && r["detail"]!.GetValue<string>().Contains("pagerduty"));
        Assert.Contains(pages, r => r!["outcome"]!.GetValue<string>() == "delivered" && r["detail"]!.GetValue<string>().Contains("slack"));
        var everything = audit.ToJsonString() + rollback.ToJsonString() + (await runtime.GetJsonAsync($"/api/deploys/{id}")).ToJsonString();
        Assert.DoesNotContain(RoutingKey, everything);
        Assert.DoesNotContain(SlackToken, everything);
    }

    [SkippableFact]
    public async Task Rollback_PagerDutyDownForAWhile_RevertsMeanwhile_AndThePageArrivesOnceItReturns()
    {
        await using var receiver = await LocalReceiver.StartAsync();
        await using var runtime = await TestRuntime.StartAsync(
            $"Rollback:Notifications:PagerDutyEventsUrl={receiver.BaseUrl}",
            $"Rollback:Notifications:Default:PagerDutyRoutingKey={RoutingKey}",
            "Rollback:Orchestration:PageWaitLimit=00:00:01",
            "Rollback:Orchestration:StepFirstRetryInterval=00:00:01"); // page retries over half a minute
        var id = $"pd-{Guid.NewGuid():N}";
        var deploy = Payloads.DiamondDeploy(id, receiver, "pagerless");
        deploy["steps"] = new JsonArray(Payloads.Step("schema", receiver));
        await Api.AlertIntakeApiTests.RegisterCompletedAsync(runtime, deploy);
        receiver.Outage["v2/enqueue"] = DateTimeOffset.MaxValue; // PagerDuty answers 503 until it is back

        (await runtime.Http.PostAsync($"/api/deploys/{id}/rollback", null)).Dispose();
        // The revert does not wait for PagerDuty: it arrives while PagerDuty is still down.
        await receiver.WaitForAsync(r => r.Any(x => x.Path == "schema"), TimeSpan.FromSeconds(30), "the revert while PagerDuty is down");
        // The page is tried with the first revert, not before it (issue 21).
        await receiver.WaitForAsync(r => r.Any(x => x.Path == "v2/enqueue"), TimeSpan.FromSeconds(30), "the page tried with the revert");
        Assert.DoesNotContain(receiver.Succeeded, r => r.Path == "v2/enqueue");
        receiver.Outage["v2/enqueue"] = DateTimeOffset.MinValue; // PagerDuty is back
        await receiver.WaitForAsync(_ => receiver.Succeeded.Any(x => x.Path == "v2/enqueue"), TimeSpan.FromSeconds(60), "the page once PagerDuty is back");

        var delivered = JsonNode.Parse(receiver.Succeeded.First(x => x.Path == "v2/enqueue").Body)!;
        Assert.Contains("RollbackStarted", delivered.ToJsonString());
    }

    private sealed class StaticOptions(NotificationOptions value) : IOptionsMonitor<NotificationOptions>
    {
        public NotificationOptions CurrentValue => value;

        public NotificationOptions Get(string? name) => value;

        public IDisposable? OnChange(Action<NotificationOptions, string?> listener) => null;
    }
}
