using Azure.Core;
using RollbackFunctions.Core.Alerts;
using RollbackFunctions.Core.Correlation;
using RollbackFunctions.Core.Ports;
using RollbackFunctions.Infrastructure.Storage;

namespace RollbackFunctions.Infrastructure.Tests.Storage;

/// <summary>The alert log's minute-by-minute count of firing services, on Azurite.</summary>
public sealed class TableAlertLogTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 28, 12, 30, 40, TimeSpan.Zero);

    [SkippableFact]
    public async Task CountFiringServices_DistinctServicesOfOneEnvironmentWithinTheWindow()
    {
        var log = new TableAlertLog(await StorageFixture.CreateTablesAsync());
        await log.NoteFiringAsync("checkout", "prod", Now, default);
        await log.NoteFiringAsync("checkout", "prod", Now.AddSeconds(-5), default); // the same service again
        await log.NoteFiringAsync("cart", "prod", Now.AddMinutes(-4), default);
        await log.NoteFiringAsync("search", "prod", Now.AddMinutes(-20), default); // before the window
        await log.NoteFiringAsync("search", "staging", Now, default); // another environment

        Assert.Equal(2, await log.CountFiringServicesAsync("prod", Now.AddMinutes(-5), default));
        Assert.Equal(1, await log.CountFiringServicesAsync("staging", Now.AddMinutes(-5), default));
        Assert.Equal(0, await log.CountFiringServicesAsync("dev", Now.AddMinutes(-5), default));
    }

    [SkippableFact]
    public async Task FiringEpisode_RemembersTheFirstReceiptAndTheMatchedDeploy()
    {
        var log = new TableAlertLog(await StorageFixture.CreateTablesAsync());
        var alert = new AlertSignal(AlertSource.Alertmanager, "group/abc#1", "HighErrorRate", AlertStatus.Firing, new Dictionary<string, string>(), new Dictionary<string, string>(), Now, null);

        Assert.Null(await log.FiringEpisodeAsync(alert.DedupKey, default));
        await log.RecordAsync(alert, new CorrelationDecision("checkout-7", "matched", []), "rb-checkout-7", Now, default);
        await log.RecordAsync(alert, new CorrelationDecision("checkout-7", "matched", []), "rb-checkout-7", Now.AddMinutes(5), default);

        Assert.Equal(new FiringEpisode(Now, "checkout-7", "rb-checkout-7"), await log.FiringEpisodeAsync(alert.DedupKey, default));
    }

    [SkippableFact]
    public async Task ConcurrentResends_FromTwoProcesses_AreEachCountedOnce()
    {
        var tables = await StorageFixture.CreateTablesAsync();
        // Two logs over one table stand for two processes: each joins its own callers' writes, and
        // the two race on the row's ETag.
        var logs = new[] { new TableAlertLog(tables), new TableAlertLog(tables) };
        var alert = Firing("group/storm#1");
        Assert.True(await logs[0].RecordAsync(alert, new CorrelationDecision("checkout-7", "matched: the first decision", []), "rb-checkout-7", Now, default));

        var resends = await Task.WhenAll(Enumerable.Range(1, 200).Select(i =>
            logs[i % 2].RecordAsync(alert, new CorrelationDecision("checkout-7", $"re-send {i}", []), "rb-checkout-7", Now.AddSeconds(i), default)));

        Assert.All(resends, Assert.False);
        var row = await AlertRowAsync(tables, alert);
        Assert.Equal(201, row.GetInt32("Received"));
        Assert.Equal(Now.AddSeconds(200), row.GetDateTimeOffset("LastReceivedAt"));
        Assert.Equal(Now, row.GetDateTimeOffset("FirstReceivedAt"));
        Assert.Equal("matched: the first decision", row.GetString("Decision"));
    }

    [SkippableFact]
    public async Task Resend_ThatStartedARollback_NamesItOnARowThatHadNone()
    {
        var tables = await StorageFixture.CreateTablesAsync();
        var log = new TableAlertLog(tables);
        var alert = Firing("group/refused#1");
        await log.RecordAsync(alert, new CorrelationDecision("checkout-7", "matched; refused: limit reached", []), null, Now, default);
        Assert.Equal(new FiringEpisode(Now, "checkout-7"), await log.FiringEpisodeAsync(alert.DedupKey, default));

        await log.RecordAsync(alert, new CorrelationDecision("checkout-7", "matched", []), "rb-checkout-7", Now.AddMinutes(61), default);

        var row = await AlertRowAsync(tables, alert);
        Assert.Equal("rb-checkout-7", row.GetString("RollbackId"));
        Assert.Equal("matched", row.GetString("Decision"));
        Assert.Equal(2, row.GetInt32("Received"));
        Assert.Equal([new FiringAlert(alert.DedupKey, alert.Name)], await log.FiringForRollbackAsync("rb-checkout-7", default));
    }

    /// <summary>
    /// A storage write that lands but whose reply is lost (a timeout on a loaded account) is retried
    /// by the client: the retry of a first receipt meets 409, the retry of a count meets 412. Neither
    /// may count the delivery twice, and the first receipt is still the first (its audit row depends on it).
    /// </summary>
    [SkippableFact]
    public async Task Writes_WhoseRepliesWereLost_CountEachDeliveryOnce()
    {
        var lostReplies = new LoseFirstReply(request => request.Method == RequestMethod.Post && request.Uri.Path.Contains("Alerts", StringComparison.Ordinal),
            request => request.Headers.TryGetValue("If-Match", out _));
        var tables = await StorageFixture.CreateTablesAsync(lostReplies);
        var log = new TableAlertLog(tables);
        var alert = Firing("group/lost#1");

        var first = await log.RecordAsync(alert, new CorrelationDecision(null, "no deploy", []), null, Now, default);
        var second = await log.RecordAsync(alert, new CorrelationDecision(null, "no deploy", []), null, Now.AddSeconds(1), default);
        var third = await log.RecordAsync(alert, new CorrelationDecision(null, "no deploy", []), null, Now.AddSeconds(2), default);

        Assert.Equal(2, lostReplies.Lost); // both faults happened
        Assert.Equal([true, false, false], [first, second, third]);
        Assert.Equal(3, (await AlertRowAsync(tables, alert)).GetInt32("Received"));
    }

    /// <summary>This process remembers the rows it wrote and counts re-sends without adding first: a row deleted since is started again, not a failure on every re-send.</summary>
    [SkippableFact]
    public async Task Resend_OfARowDeletedSince_StartsItAgain()
    {
        var tables = await StorageFixture.CreateTablesAsync();
        var log = new TableAlertLog(tables);
        var alert = Firing("group/deleted#1");
        await log.RecordAsync(alert, new CorrelationDecision(null, "no deploy", []), null, Now, default);
        await log.RecordAsync(alert, new CorrelationDecision(null, "no deploy", []), null, Now.AddSeconds(1), default);
        var row = await AlertRowAsync(tables, alert);
        await tables.Alerts.DeleteEntityAsync(row.PartitionKey, row.RowKey);

        await log.RecordAsync(alert, new CorrelationDecision(null, "no deploy", []), null, Now.AddSeconds(2), default);
        await log.RecordAsync(alert, new CorrelationDecision(null, "no deploy", []), null, Now.AddSeconds(3), default);

        row = await AlertRowAsync(tables, alert);
        Assert.Equal(2, row.GetInt32("Received"));
        Assert.Equal(Now.AddSeconds(3), row.GetDateTimeOffset("LastReceivedAt"));
    }

    private static AlertSignal Firing(string dedupKey) =>
        new(AlertSource.Alertmanager, dedupKey, "HighErrorRate", AlertStatus.Firing, new Dictionary<string, string>(), new Dictionary<string, string>(), Now, null);

    private static async Task<Azure.Data.Tables.TableEntity> AlertRowAsync(StorageTables tables, AlertSignal alert)
    {
        await foreach (var row in tables.Alerts.QueryAsync<Azure.Data.Tables.TableEntity>(e => e.RowKey == "Firing"))
        {
            if (row.GetString("DedupKey") == alert.DedupKey)
            {
                return row;
            }
        }

        throw new InvalidOperationException($"no row for {alert.DedupKey}");
    }
}
