using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using Microsoft.Extensions.Options;
using RollbackFunctions.Infrastructure.Storage;
using Xunit.Abstractions;

namespace RollbackFunctions.Integration.Tests.EndToEnd;

/// <summary>
/// Two local runtimes on one Azurite and one task hub, as two Functions instances would be. A revert
/// longer than the visibility timeout runs once while the other process polls (the running process
/// keeps its message hidden); then an alert storm split across both starts exactly one rollback per
/// correlated deploy with no 5xx and every alert recorded once with its count of deliveries; and
/// when one process is killed mid-rollback the other finishes every rollback. One test, because
/// starting the two processes is most of what it costs.
/// </summary>
[StartsFirst]
public sealed class TwoProcessStormTests(ITestOutputHelper output)
{
    // The smallest storm that still shows each property: every deploy is hit by about 25 concurrent
    // re-sends of its five groups, split across both processes (70 groups, about 5 each). Throughput
    // under a large storm is the benchmark program's (`intake`), not this test's.
    private const int Deploys = 10;
    private const int Webhooks = 360;
    private const int Concurrency = 32;

    [SkippableFact]
    public async Task StormAcrossTwoProcesses_OneRollbackPerDeploy_EveryAlertCounted_SurvivorFinishes()
    {
        // Its own Azurite: the storm saturates one, and every other test running beside it would
        // wait seconds for each storage call (a step wait of 30 s elsewhere ran out on a slower machine).
        await using var azurite = await SharedAzurite.StartPrivateAsync();
        var connection = azurite.ConnectionString;
        await using var receiver = await LocalReceiver.StartAsync();
        var prefix = Repo.UniqueName("t");
        var settings = Settings(connection, prefix);
        var first = await RuntimeProcess.StartAsync(settings);
        await using var second = await RuntimeProcess.StartAsync(settings);
        var runtimes = new[] { first, second };
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        var run = Guid.NewGuid().ToString("N")[..8];
        try
        {
            // Before the storm, which could stall a renewal for reasons that are the machine's, not
            // the engine's: unrenewed, the long revert's message would reappear after the visibility
            // timeout and the other process (or this one) would send it again before it finished.
            receiver.Delays["long"] = VisibilityTimeout + TimeSpan.FromSeconds(2);
            await RegisterAsync(http, first, $"long-{run}", $"long-{run}", "long", receiver);
            var longAlert = Group($"long-{run}", "long", 0);
            await PostAsync(http, $"{second.BaseUrl}/api/alerts/alertmanager", longAlert.ToJsonString());
            await receiver.WaitForAsync(r => receiver.Succeeded.Any(x => x.Path == "long"), TimeSpan.FromSeconds(60), "the long revert to finish");
            await Task.Delay(TimeSpan.FromSeconds(1)); // a second taker would have sent it by now
            Assert.Single(receiver.Received, r => r.Path == "long");
            await PostAsync(http, $"{second.BaseUrl}/api/alerts/alertmanager", Payloads.Resolved(longAlert).ToJsonString());

            // The storm: distinct alerts for the deploys (5 groups each) and 20 groups matching
            // nothing, each re-sent many times (HA pairs, group_interval), alternating between the two.
            for (var d = 0; d < Deploys; d++)
            {
                receiver.Delays[$"d{d}"] = TimeSpan.FromSeconds(2);
                await RegisterAsync(http, runtimes[d % 2], $"storm-{run}-{d}", $"storm-{run}-{d}", $"d{d}", receiver);
            }

            var groups = Enumerable.Range(0, Deploys * 5).Select(g => Group($"storm-{run}-{g / 5}", $"g{g}", g))
                .Concat(Enumerable.Range(0, 20).Select(u => Group($"nobody-{run}-{u}", $"u{u}", 1000 + u))).ToList();
            var random = new Random(7);
            var picks = Enumerable.Range(0, Webhooks).Select(_ => random.Next(groups.Count)).ToArray();
            var bodies = groups.Select(g => g.ToJsonString()).ToList();
            var statuses = new ConcurrentBag<int>();
            var refusals = new ConcurrentQueue<string>();
            var next = -1;
            var started = DateTime.UtcNow;
            await Task.WhenAll(Enumerable.Range(0, Concurrency).Select(async _ =>
            {
                int i;
                while ((i = Interlocked.Increment(ref next)) < Webhooks)
                {
                    using var response = await http.PostAsync($"{runtimes[i % 2].BaseUrl}/api/alerts/alertmanager", new StringContent(bodies[picks[i]], Encoding.UTF8, "application/json"));
                    statuses.Add((int)response.StatusCode);
                    if (response.StatusCode != System.Net.HttpStatusCode.Accepted && refusals.Count < 5)
                    {
                        refusals.Enqueue($"{(int)response.StatusCode} from {runtimes[i % 2].BaseUrl}: {await response.Content.ReadAsStringAsync()}");
                    }
                }
            }));
            output.WriteLine($"{Webhooks} webhooks at concurrency {Concurrency} in {(DateTime.UtcNow - started).TotalSeconds:0.0} s");

            Assert.True(statuses.All(status => status == 202),
                $"{statuses.Count(s => s != 202)} of {Webhooks} webhooks were not accepted: {string.Join("\n", refusals)}\nfirst runtime:\n{first.Output}\nsecond runtime:\n{second.Output}");
            var rollbacks = await RollbacksAsync(http, second);
            Assert.Equal(
                Enumerable.Range(0, Deploys).Select(d => $"storm-{run}-{d}").Order(),
                rollbacks.Select(r => r["deployId"]!.GetValue<string>()).Where(d => d.StartsWith("storm-", StringComparison.Ordinal)).Order());
            await AssertEveryAlertCountedOnceAsync(connection, prefix, groups, picks);

            // Kill one process mid-rollback; the other finishes every rollback.
            await receiver.WaitForAsync(r => r.Any(x => x.Path.StartsWith('d')), TimeSpan.FromSeconds(30), "the storm's reverts to start");
            first.Crash();
            foreach (var group in groups)
            {
                await PostAsync(http, $"{second.BaseUrl}/api/alerts/alertmanager", Payloads.Resolved(group).ToJsonString());
            }

            await Eventually.HoldsAsync(
                async () => (await RollbacksAsync(http, second)).All(r => r["phase"]!.GetValue<string>() == "succeeded"),
                TimeSpan.FromMinutes(2),
                () => $"not every rollback finished on the surviving process: {string.Join(", ", RollbacksAsync(http, second).Result.Select(r => $"{r["rollbackId"]} {r["phase"]}"))}\n{second.Output}",
                TimeSpan.FromMilliseconds(500));
            Assert.All(Enumerable.Range(0, Deploys), d => Assert.Contains(receiver.Succeeded, r => r.Path == $"d{d}"));
        }
        finally
        {
            await first.DisposeAsync();
        }
    }

    // The default visibility timeout: a 2-core machine under this storm can stall a renewal for
    // seconds, and the storm's part of the test is about the storm, not about renewal.
    private static readonly TimeSpan VisibilityTimeout = TimeSpan.FromSeconds(10);

    private static string[] Settings(string connection, string prefix) =>
    [
        $"Rollback:Storage:ConnectionString={connection}",
        $"Rollback:Storage:TablePrefix={prefix}",
        $"Rollback:Durable:TaskHub={Repo.UniqueName("hub")}",
        $"Rollback:Durable:VisibilityTimeout={VisibilityTimeout:c}",
        "Rollback:Executors:Webhook:AllowedHosts:0=127.0.0.1",
        // Longer than the long revert, which would otherwise be sent again by the executor's retry.
        "Rollback:Executors:Webhook:AttemptTimeout=00:00:15",
        "Rollback:Orchestration:VerifyInterval=00:00:00.500",
        // Ten services firing at once is a mass alert by default; here it is the test's premise.
        "Rollback:Policy:MassAlertServices=1000",
        "Rollback:Policy:MaxAutomaticRollbacks=1000",
        "Logging:LogLevel:Default=Warning",
    ];

    /// <summary>One row per alert, whose count is the number of webhooks that carried it.</summary>
    private static async Task AssertEveryAlertCountedOnceAsync(string connection, string prefix, IReadOnlyList<JsonObject> groups, int[] picks)
    {
        var tables = new StorageTables(Options.Create(new StorageOptions { ConnectionString = connection, TablePrefix = prefix }));
        var rows = new List<TableEntity>();
        await foreach (var row in tables.Alerts.QueryAsync<TableEntity>(e => e.RowKey == "Firing"))
        {
            rows.Add(row);
        }

        var expected = new Dictionary<string, int>();
        foreach (var (group, index) in groups.Select((g, i) => (g, i)))
        {
            var deliveries = picks.Count(p => p == index);
            foreach (var alert in group["alerts"]!.AsArray())
            {
                expected[$"{group["groupKey"]}|{alert!["fingerprint"]}"] = deliveries;
            }
        }

        // The storm's groups only: the alert of the long revert before it is not the storm's.
        var stormGroups = groups.Select(g => g["groupKey"]!.GetValue<string>()).ToHashSet();
        var stored = rows.Select(r => (Key: r.GetString("DedupKey").Split('|'), Received: r.GetInt32("Received")))
            .Where(r => stormGroups.Contains(r.Key[0]))
            .ToDictionary(r => string.Join('|', r.Key[..2]), r => r.Received);
        Assert.Equal(expected.Where(e => e.Value > 0).OrderBy(e => e.Key).Select(e => (e.Key, (int?)e.Value)),
            stored.OrderBy(e => e.Key).Select(e => (e.Key, e.Value)));
    }

    /// <summary>An Alertmanager group for one service, keyed uniquely, starting now.</summary>
    private static JsonObject Group(string service, string groupKey, int number)
    {
        var group = Payloads.AlertmanagerFiring(service, "prod");
        group["groupKey"] = $"{service}:{groupKey}";
        foreach (var alert in group["alerts"]!.AsArray())
        {
            alert!["fingerprint"] = $"{alert["fingerprint"]}{number}";
        }

        return group;
    }

    private static async Task RegisterAsync(HttpClient http, RuntimeProcess runtime, string deployId, string service, string step, LocalReceiver receiver)
    {
        var deploy = new JsonObject
        {
            ["deployId"] = deployId,
            ["service"] = service,
            ["environment"] = "prod",
            ["version"] = "2",
            ["steps"] = new JsonArray(Payloads.Step(step, receiver)),
        };
        await PostAsync(http, $"{runtime.BaseUrl}/api/deploys", deploy.ToJsonString());
        await PostAsync(http, $"{runtime.BaseUrl}/api/deploys/{deployId}/complete", "{}");
    }

    private static async Task<List<JsonObject>> RollbacksAsync(HttpClient http, RuntimeProcess runtime) =>
        (await http.GetFromJsonAsync<JsonArray>($"{runtime.BaseUrl}/api/rollbacks?state=all"))!.Select(r => r!.AsObject()).ToList();

    private static async Task PostAsync(HttpClient http, string url, string json)
    {
        using var response = await http.PostAsync(url, new StringContent(json, Encoding.UTF8, "application/json"));
        Assert.True(response.IsSuccessStatusCode, $"POST {url}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }
}
