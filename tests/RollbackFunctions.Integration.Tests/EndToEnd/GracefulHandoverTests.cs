using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.RegularExpressions;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using RollbackFunctions.Core.Deploys;

namespace RollbackFunctions.Integration.Tests.EndToEnd;

/// <summary>
/// A restart or a redeploy costs nothing: a runtime stopped gracefully (SIGTERM) in the middle of a
/// rollback lets the running revert finish and deliver its result, releases its partitions, and
/// says nothing at <c>fail</c> level; the next runtime on the task hub owns every partition and
/// finishes the rollback. Leases here last a minute, so the next runtime can only have them because
/// they were released, not because they ran out. The next runtime's Prometheus endpoint then counts
/// the alerts it read and the rollback it finished, and times it (a process of the test's own, as
/// meters are process-wide).
/// </summary>
public sealed class GracefulHandoverTests
{
    [SkippableFact]
    public async Task RuntimeStoppedGracefullyMidRevert_RevertFinishesOnce_PartitionsReleased_NextRuntimeFinishesTheRollback()
    {
        var connection = await SharedAzurite.ConnectionStringAsync();
        await using var receiver = await LocalReceiver.StartAsync();
        receiver.Delays["upper"] = TimeSpan.FromSeconds(1);
        var hub = Repo.UniqueName("hub");
        string[] settings =
        [
            $"Rollback:Storage:ConnectionString={connection}",
            $"Rollback:Storage:TablePrefix={Repo.UniqueName("g")}",
            $"Rollback:Durable:TaskHub={hub}",
            "Rollback:Durable:VisibilityTimeout=00:01:00",
            "Rollback:Executors:Webhook:AllowedHosts:0=127.0.0.1",
            "Rollback:Orchestration:VerifyInterval=00:00:00.500",
            "Logging:LogLevel:Default=Warning",
        ];
        var partitions = new TableClient(connection, $"{hub}Partitions");
        using var http = new HttpClient();
        var id = $"handover-{Guid.NewGuid():N}"[..24];
        var deploy = new JsonObject
        {
            ["deployId"] = id,
            ["service"] = "handover",
            ["environment"] = "prod",
            ["version"] = "2",
            ["steps"] = new JsonArray(Payloads.Step("lower", receiver), Payloads.Step("upper", receiver, "lower")),
        };
        var firing = Payloads.AlertmanagerFiring("handover", "prod");

        var first = await RuntimeProcess.StartAsync(settings);
        string firstOwner;
        try
        {
            firstOwner = await Eventually.ReturnsAsync(async () => OwnerOfAll(await ReadAsync(partitions)), TimeSpan.FromSeconds(30), () => $"the first runtime never owned every partition\n{first.Output}");
            await PostAsync(http, $"{first.BaseUrl}/api/deploys", deploy.ToJsonString());
            await PostAsync(http, $"{first.BaseUrl}/api/deploys/{id}/complete", "{}");
            await PostAsync(http, $"{first.BaseUrl}/api/alerts/alertmanager", firing.ToJsonString());
            await receiver.WaitForAsync(r => r.Any(x => x.Path == "upper"), TimeSpan.FromSeconds(30), "the first revert to start");

            Assert.Equal(0, await first.StopGracefullyAsync(TimeSpan.FromSeconds(30)));
        }
        finally
        {
            await first.DisposeAsync();
        }

        Assert.All(await ReadAsync(partitions), p => Assert.Null(p.Owner));
        Assert.False(first.Output.Contains("fail:", StringComparison.Ordinal), $"the stop logged a failure:\n{first.Output}");

        await using var second = await RuntimeProcess.StartAsync(settings);
        await receiver.WaitForAsync(r => r.Any(x => x.Path == "lower"), TimeSpan.FromSeconds(30), "the next runtime to revert the next step");
        await PostAsync(http, $"{second.BaseUrl}/api/alerts/alertmanager", Payloads.Resolved(firing).ToJsonString());
        var phase = await Eventually.ReturnsAsync(
            async () => (await http.GetFromJsonAsync<JsonObject>($"{second.BaseUrl}/api/rollbacks/{Identifiers.RollbackIdFor(id)}"))!["phase"]!.GetValue<string>() is var now && now is "succeeded" or "failed" ? now : null,
            TimeSpan.FromSeconds(30),
            () => $"the next runtime did not finish the rollback\n{second.Output}");

        Assert.Equal("succeeded", phase);
        Assert.Single(receiver.Received, r => r.Path == "upper");
        var owners = (await ReadAsync(partitions)).Select(p => p.Owner).Distinct().ToList();
        Assert.NotEqual(firstOwner, Assert.Single(owners));

        await PostAsync(http, $"{second.BaseUrl}/api/alerts/alertmanager", Payloads.AlertmanagerFiring("nobody-deployed-this", "prod").ToJsonString());
        var metrics = await Eventually.ReturnsAsync(
            async () => await http.GetStringAsync($"{second.BaseUrl}/metrics") is var text && text.Contains("rollback_rollbacks_total", StringComparison.Ordinal) ? text : null,
            TimeSpan.FromSeconds(20), () => "no rollback counted on /metrics");
        // Both webhooks this runtime read: the resolved pair, matched, and the pair nobody deployed.
        Assert.Equal(4, Value(metrics, "rollback_alerts_received_total", "source=\"alertmanager\""));
        Assert.Equal(2, Value(metrics, "rollback_alerts_matched_total", "source=\"alertmanager\""));
        Assert.Equal(2, Value(metrics, "rollback_alerts_unmatched_total", "source=\"alertmanager\""));
        Assert.Equal(1, Value(metrics, "rollback_rollbacks_total", "outcome=\"succeeded\""));
        Assert.Equal(1, Value(metrics, "rollback_alert_to_first_revert_seconds_count", "trigger=\"alert\""));
        Assert.Equal(1, Value(metrics, "rollback_duration_seconds_count", "outcome=\"succeeded\""));
        Assert.Contains("rollback_alert_to_first_revert_seconds_bucket{", metrics);
    }

    /// <summary>The value of the one sample of <paramref name="name"/> whose labels contain <paramref name="label"/>.</summary>
    private static double Value(string metrics, string name, string label)
    {
        var samples = metrics.Split('\n').Where(l => l.StartsWith(name + "{", StringComparison.Ordinal) && l.Contains(label, StringComparison.Ordinal)).ToList();
        Assert.True(samples.Count == 1, $"expected one {name} with {label}:\n{metrics}");
        return double.Parse(Regex.Match(samples[0], @"\}\s+(\S+)").Groups[1].Value, CultureInfo.InvariantCulture);
    }

    /// <summary>The one worker that owns every partition, or null.</summary>
    private static string? OwnerOfAll(IReadOnlyList<(string Partition, string? Owner)> leases) =>
        leases.Count > 0 && leases.Select(l => l.Owner).Distinct().ToList() is [{ } owner] ? owner : null;

    /// <summary>The provider's partition table: each control queue and the worker that owns it (table partition manager).</summary>
    private static async Task<IReadOnlyList<(string Partition, string? Owner)>> ReadAsync(TableClient partitions)
    {
        var leases = new List<(string, string?)>();
        try
        {
            await foreach (var lease in partitions.QueryAsync<TableEntity>())
            {
                leases.Add((lease.RowKey, lease.GetString("CurrentOwner")));
            }
        }
        catch (Azure.RequestFailedException e) when (e.Status == 404)
        {
            // not created yet
        }

        return leases;
    }

    private static async Task PostAsync(HttpClient http, string url, string json)
    {
        using var response = await http.PostAsync(url, new StringContent(json, Encoding.UTF8, "application/json"));
        Assert.True(response.IsSuccessStatusCode, $"POST {url}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }
}
