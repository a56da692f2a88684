using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Infrastructure.Storage;

namespace RollbackFunctions.Integration.Tests.Api;

public sealed class AlertIntakeApiTests(RuntimeFixture fixture) : IClassFixture<RuntimeFixture>
{
    [SkippableFact]
    public async Task Alertmanager_FiftyConcurrentDuplicateWebhooks_StartExactlyOneRollback()
    {
        var runtime = fixture.Require();
        await using var receiver = await LocalReceiver.StartAsync();
        var service = UniqueService();
        await RegisterCompletedAsync(runtime, Payloads.DiamondDeploy($"{service}-1", receiver, service));
        var firing = Payloads.AlertmanagerFiring(service, "prod");
        var alert = firing.ToJsonString();

        var replies = await Task.WhenAll(Enumerable.Range(0, 50).Select(async _ =>
        {
            using var response = await runtime.PostJsonAsync("/api/alerts/alertmanager", alert);
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        }));

        var starts = replies.SelectMany(r => r["deploys"]!.AsArray()).ToList();
        Assert.Equal(50, starts.Count);
        Assert.Single(starts, s => s!["started"]!.GetValue<bool>());
        Assert.All(starts, s => Assert.Equal($"{Identifiers.RollbackIdFor(service)}-1", s!["rollbackId"]!.GetValue<string>()));
        await receiver.WaitForAsync(r => r.Count == 4, TimeSpan.FromSeconds(60), "four reverts");
        (await runtime.PostJsonAsync("/api/alerts/alertmanager", Payloads.Resolved(firing))).Dispose();
        var rollback = await runtime.WaitForTerminalRollbackAsync($"{Identifiers.RollbackIdFor(service)}-1", TimeSpan.FromSeconds(60));
        Assert.Equal("succeeded", rollback["phase"]!.GetValue<string>());
        Assert.Equal(["config", "flags", "rollout", "schema"], receiver.Paths.Order()); // each step reverted once
    }

    [SkippableFact]
    public async Task Alertmanager_NoMatchingDeploy_Answers202AndRecordsTheAlert()
    {
        var runtime = fixture.Require();
        var service = UniqueService();

        using var response = await runtime.PostJsonAsync("/api/alerts/alertmanager", Payloads.AlertmanagerFiring(service, "prod"));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var reply = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal(2, reply["received"]!.GetValue<int>());
        Assert.Equal(2, reply["unmatched"]!.GetValue<int>());
        Assert.Empty(reply["deploys"]!.AsArray());
        var recorded = await AlertRowsAsync(runtime, service);
        Assert.Equal(2, recorded.Count);
        Assert.All(recorded, row => Assert.Contains("no deploy registered", row.GetString("Decision")));
    }

    [SkippableFact]
    public async Task Alertmanager_SameGroupResent_IsRecordedOncePerAlertAndCounted()
    {
        var runtime = fixture.Require();
        var service = UniqueService();
        var alert = Payloads.AlertmanagerFiring(service, "prod").ToJsonString();

        (await runtime.PostJsonAsync("/api/alerts/alertmanager", alert)).Dispose();
        (await runtime.PostJsonAsync("/api/alerts/alertmanager", alert)).Dispose();

        var recorded = await AlertRowsAsync(runtime, service);
        Assert.Equal(2, recorded.Count);
        Assert.All(recorded, row => Assert.Equal(2, row.GetInt32("Received")));
    }

    [SkippableFact]
    public async Task Alertmanager_OnlyResolvedAlerts_StartNothing()
    {
        var runtime = fixture.Require();
        await using var receiver = await LocalReceiver.StartAsync();
        var service = UniqueService();
        await RegisterCompletedAsync(runtime, Payloads.DiamondDeploy($"{service}-1", receiver, service));
        var payload = Payloads.AlertmanagerFiring(service, "prod");
        payload["status"] = "resolved";
        foreach (var alert in payload["alerts"]!.AsArray())
        {
            alert!["status"] = "resolved";
        }

        using var response = await runtime.PostJsonAsync("/api/alerts/alertmanager", payload);

        var reply = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal(2, reply["resolved"]!.GetValue<int>());
        Assert.Empty(reply["deploys"]!.AsArray());
        using var gate = await runtime.Http.GetAsync($"/api/deploys/{service}-1/gate");
        Assert.Equal(HttpStatusCode.OK, gate.StatusCode);
    }

    [SkippableFact]
    public async Task Alertmanager_AlertStartedBeforeTheDeploy_IsNotCorrelated()
    {
        var runtime = fixture.Require();
        await using var receiver = await LocalReceiver.StartAsync();
        var service = UniqueService();
        await RegisterCompletedAsync(runtime, Payloads.DiamondDeploy($"{service}-1", receiver, service));

        using var response = await runtime.PostJsonAsync("/api/alerts/alertmanager", Payloads.AlertmanagerFiring(service, "prod", startsAt: DateTimeOffset.UtcNow.AddHours(-1)));

        Assert.Equal(2, (await response.Content.ReadFromJsonAsync<JsonObject>())!["unmatched"]!.GetValue<int>());
    }

    /// <summary>Issue 9, finding 11: one malformed alert made the whole group a 400, which Alertmanager never retries.</summary>
    [SkippableFact]
    public async Task Alertmanager_OneMalformedAlert_TheOthersStillRollBack()
    {
        var runtime = fixture.Require();
        var service = $"partial-{Guid.NewGuid():N}"[..20];
        await RegisterCompletedAsync(runtime, Payloads.DiamondDeploy($"{service}-1", fixture.Receiver, service));
        var payload = Payloads.AlertmanagerFiring(service, "prod");
        payload["alerts"]![1]!["startsAt"] = "yesterday";

        using var response = await runtime.PostJsonAsync("/api/alerts/alertmanager", payload);
        var reply = (await response.Content.ReadFromJsonAsync<JsonObject>())!;

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(1, reply["received"]!.GetValue<int>());
        Assert.Equal(1, reply["rejected"]!.GetValue<int>());
        Assert.Contains("alerts[1].startsAt", reply["problems"]![0]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.True(reply["deploys"]![0]!["started"]!.GetValue<bool>());
    }

    /// <summary>Issue 9, finding 11: a real group of over a thousand alerts passes the 1 MiB that other bodies get.</summary>
    [SkippableFact]
    public async Task Alertmanager_GroupOfOverAThousandAlerts_IsAccepted()
    {
        var runtime = fixture.Require();
        var payload = Payloads.AlertmanagerFiring($"big-{Guid.NewGuid():N}"[..16], "prod");
        var alerts = payload["alerts"]!.AsArray();
        var template = alerts[1]!;
        alerts.Clear();
        for (var i = 0; i < 1300; i++)
        {
            var alert = template.DeepClone();
            alert["fingerprint"] = $"f{i}";
            alert["labels"]!["pod"] = $"checkout-{i}";
            alert["annotations"]!["description"] = new string('x', 900);
            alerts.Add(alert);
        }

        var body = payload.ToJsonString();
        using var response = await runtime.PostJsonAsync("/api/alerts/alertmanager", body);

        Assert.True(body.Length > 1024 * 1024, $"{body.Length} bytes");
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(1300, (await response.Content.ReadFromJsonAsync<JsonObject>())!["unmatched"]!.GetValue<int>());
    }

    /// <summary>
    /// Issue 9, finding 5: a Renotify of an episode that began before the deploy (its $DATE is
    /// today's) rolled back the new deploy. Without $LAST_TRIGGERED_AT_EPOCH in the template, the
    /// episode's start is when its cycle was first received.
    /// </summary>
    [SkippableFact]
    public async Task Datadog_RenotifyOfAnOlderEpisode_DoesNotMatchANewerDeploy()
    {
        var runtime = fixture.Require();
        var service = $"dd-renotify-{Guid.NewGuid():N}"[..24];
        using var first = await runtime.PostJsonAsync("/api/alerts/datadog", Payloads.Datadog(service, "prod", "Triggered", "cycle-old"));
        await RegisterCompletedAsync(runtime, Payloads.DiamondDeploy($"{service}-1", fixture.Receiver, service));

        using var renotify = await runtime.PostJsonAsync("/api/alerts/datadog", Payloads.Datadog(service, "prod", "Renotify", "cycle-old"));
        var reply = (await renotify.Content.ReadFromJsonAsync<JsonObject>())!;

        Assert.Equal(HttpStatusCode.Accepted, renotify.StatusCode);
        Assert.Equal(1, reply["unmatched"]!.GetValue<int>());
        Assert.Empty(reply["deploys"]!.AsArray());
    }

    [SkippableFact]
    public async Task Datadog_TriggeredStartsTheRollback_WarnDoesNot()
    {
        var runtime = fixture.Require();
        await using var receiver = await LocalReceiver.StartAsync();
        var service = UniqueService();
        await RegisterCompletedAsync(runtime, Payloads.DiamondDeploy($"{service}-1", receiver, service));

        using var warn = await runtime.PostJsonAsync("/api/alerts/datadog", Payloads.Datadog(service, "prod", "Warn", "cycle-w"));
        using var triggered = await runtime.PostJsonAsync("/api/alerts/datadog", Payloads.Datadog(service, "prod", "Triggered", "cycle-t"));

        Assert.Empty((await warn.Content.ReadFromJsonAsync<JsonObject>())!["deploys"]!.AsArray());
        var start = (await triggered.Content.ReadFromJsonAsync<JsonObject>())!["deploys"]![0]!;
        Assert.True(start["started"]!.GetValue<bool>());
        await receiver.WaitForAsync(r => r.Count == 4, TimeSpan.FromSeconds(60), "four reverts");
        (await runtime.PostJsonAsync("/api/alerts/datadog", Payloads.Datadog(service, "prod", "Recovered", "cycle-t"))).Dispose();
        var rollback = await runtime.WaitForTerminalRollbackAsync(start["rollbackId"]!.GetValue<string>(), TimeSpan.FromSeconds(60));
        Assert.Equal("succeeded", rollback["phase"]!.GetValue<string>());
        Assert.Equal("datadog", rollback["trigger"]!["alerts"]![0]!["source"]!.GetValue<string>());
    }

    [SkippableTheory]
    [InlineData("alertmanager", """{"version":"4","alerts":[]}""")]
    [InlineData("alertmanager", """{"version":"4","groupKey":"g","alerts":[{"status":"firing","labels":{"service":"x"},"startsAt":"not a time"}]}""")]
    [InlineData("datadog", """{"alert_transition":"Triggered","date":"1"}""")]
    [InlineData("datadog", """not json""")]
    public async Task Webhook_UnreadablePayload_Answers400Problem(string source, string body)
    {
        var runtime = fixture.Require();

        using var response = await runtime.PostJsonAsync($"/api/alerts/{source}", body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    /// <summary>Issue 16, finding 8: an unexpanded or empty Datadog cycle key is refused with the reason, and no alert row is written.</summary>
    [SkippableTheory]
    [InlineData("$ALERT_CYCLE_KEY")]
    [InlineData("")]
    public async Task Datadog_UnusableCycleKey_Answers400_AndWritesNothing(string cycleKey)
    {
        var runtime = fixture.Require();
        var service = UniqueService();

        using var response = await runtime.PostJsonAsync("/api/alerts/datadog", Payloads.Datadog(service, "prod", "Triggered", cycleKey));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("alert_cycle_key", await response.Content.ReadAsStringAsync());
        Assert.Empty(await AlertRowsAsync(runtime, service));
    }

    private static string UniqueService() => $"svc{Guid.NewGuid():N}"[..15];

    internal static async Task RegisterCompletedAsync(TestRuntime runtime, JsonObject deploy)
    {
        using var registered = await runtime.PostJsonAsync("/api/deploys", deploy);
        Assert.Equal(HttpStatusCode.Created, registered.StatusCode);
        using var completed = await runtime.Http.PostAsync($"/api/deploys/{deploy["deployId"]}/complete", null);
        Assert.Equal(HttpStatusCode.OK, completed.StatusCode);
    }

    private static async Task<List<TableEntity>> AlertRowsAsync(TestRuntime runtime, string service)
    {
        var rows = new List<TableEntity>();
        await foreach (var row in runtime.Services.GetRequiredService<StorageTables>().Alerts.QueryAsync<TableEntity>())
        {
            // Rows without labels are the mass-alert guard's per-minute notes, not alerts.
            if (row.GetString("Labels") is { } labels && labels.Contains($"\"{service}\"", StringComparison.Ordinal))
            {
                rows.Add(row);
            }
        }

        return rows;
    }
}
