using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using RollbackFunctions.Core.Alerts;
using RollbackFunctions.Core.Correlation;
using RollbackFunctions.Core.Ports;

namespace RollbackFunctions.Infrastructure.Storage;

/// <summary>
/// Every alert received, one row per dedup key and status. Re-sends (Alertmanager group_interval,
/// HA pairs, Datadog retries) land on the same row and only move its last-seen time and count.
/// </summary>
public sealed class TableAlertLog(StorageTables tables) : IAlertLog
{
    public async Task<bool> RecordAsync(AlertSignal alert, CorrelationDecision decision, string? rollbackId, DateTimeOffset receivedAt, CancellationToken cancellationToken)
    {
        var partitionKey = PartitionOf(alert.DedupKey);
        var rowKey = alert.Status.ToString();
        var entity = new TableEntity(partitionKey, rowKey)
        {
            ["Source"] = alert.Source.ToString(),
            ["DedupKey"] = alert.DedupKey,
            ["Name"] = alert.Name,
            ["StartsAt"] = alert.StartsAt,
            ["Labels"] = Bounded(JsonSerializer.Serialize(alert.Labels, StorageJson.Options)),
            ["Annotations"] = Bounded(JsonSerializer.Serialize(alert.Annotations, StorageJson.Options)),
            ["Link"] = Bounded(alert.Link),
            ["DeployId"] = decision.DeployId,
            ["RollbackId"] = rollbackId,
            ["Decision"] = Bounded(decision.Reason),
            ["FirstReceivedAt"] = receivedAt,
            ["LastReceivedAt"] = receivedAt,
            ["Received"] = 1,
        };

        if (rollbackId is not null && alert.Status == AlertStatus.Firing)
        {
            // Indexed by rollback, so its verification finds every episode that fired against it.
            await tables.Alerts.UpsertEntityAsync(
                new TableEntity(RollbackPartition(rollbackId), partitionKey) { ["DedupKey"] = alert.DedupKey, ["Name"] = alert.Name },
                TableUpdateMode.Replace,
                cancellationToken);
        }

        while (true)
        {
            try
            {
                await tables.Alerts.AddEntityAsync(entity, cancellationToken);
                return true;
            }
            catch (RequestFailedException e) when (e.Status == 409)
            {
            }

            if (await TryCountResendAsync(partitionKey, rowKey, entity, cancellationToken))
            {
                return false;
            }
        }
    }

    public async Task<FiringEpisode?> FiringEpisodeAsync(string dedupKey, CancellationToken cancellationToken) =>
        (await tables.Alerts.GetEntityIfExistsAsync<TableEntity>(PartitionOf(dedupKey), nameof(AlertStatus.Firing), ["FirstReceivedAt", "DeployId"], cancellationToken)) is { HasValue: true } row
            && row.Value!.GetDateTimeOffset("FirstReceivedAt") is { } first
            ? new FiringEpisode(first, row.Value.GetString("DeployId"))
            : null;

    public async Task<IReadOnlyList<FiringAlert>> FiringForRollbackAsync(string rollbackId, CancellationToken cancellationToken)
    {
        var firing = new List<FiringAlert>();
        await foreach (var row in tables.Alerts.QueryAsync<TableEntity>(e => e.PartitionKey == RollbackPartition(rollbackId), select: ["DedupKey", "Name"], cancellationToken: cancellationToken))
        {
            firing.Add(new FiringAlert(row.GetString("DedupKey"), row.GetString("Name")));
        }

        return firing;
    }

    public async Task<bool> IsResolvedAsync(string dedupKey, CancellationToken cancellationToken) =>
        (await tables.Alerts.GetEntityIfExistsAsync<TableEntity>(PartitionOf(dedupKey), nameof(AlertStatus.Resolved), ["PartitionKey"], cancellationToken)).HasValue;

    public async Task NoteFiringAsync(string service, string environment, DateTimeOffset at, CancellationToken cancellationToken) =>
        await tables.Alerts.UpsertEntityAsync(new TableEntity($"{FiringPrefix(environment)}{at.UtcDateTime:yyyyMMddHHmm}", Digest(service)), TableUpdateMode.Replace, cancellationToken);

    public async Task<int> CountFiringServicesAsync(string environment, DateTimeOffset since, CancellationToken cancellationToken)
    {
        // One partition per environment and minute: a range over the window's partitions, keys only.
        var prefix = FiringPrefix(environment);
        var from = $"{prefix}{since.UtcDateTime:yyyyMMddHHmm}";
        var services = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var row in tables.Alerts.QueryAsync<TableEntity>(
            TableClient.CreateQueryFilter($"PartitionKey ge {from} and PartitionKey lt {prefix + "~"}"), select: ["RowKey"], cancellationToken: cancellationToken))
        {
            services.Add(row.RowKey);
        }

        return services.Count;
    }

    private static string RollbackPartition(string rollbackId) => $"rollback-{Digest(rollbackId)}";

    // Alert rows are keyed by 32 hex digits; these start with a word, so the two never meet.
    private static string FiringPrefix(string environment) => $"firing-{Digest(environment)[..16]}-";

    private static string Digest(string text) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..32];

    /// <summary>Dedup keys hold characters Table keys forbid ('/', '#'), so the key is a digest of them.</summary>
    private static string PartitionOf(string dedupKey) => Digest(dedupKey);

    private async Task<bool> TryCountResendAsync(string partitionKey, string rowKey, TableEntity update, CancellationToken cancellationToken)
    {
        var existing = await tables.Alerts.GetEntityIfExistsAsync<TableEntity>(partitionKey, rowKey, cancellationToken: cancellationToken);
        if (!existing.HasValue)
        {
            return false;
        }

        var stored = existing.Value!;
        update["FirstReceivedAt"] = stored.GetDateTimeOffset("FirstReceivedAt");
        update["Received"] = (stored.GetInt32("Received") ?? 1) + 1;
        try
        {
            await tables.Alerts.UpdateEntityAsync(update, stored.ETag, TableUpdateMode.Replace, cancellationToken);
            return true;
        }
        catch (RequestFailedException e) when (e.Status == 412)
        {
            return false;
        }
    }

    /// <summary>
    /// A Table string property holds 64 KiB (32K UTF-16 characters): what an alert carries is cut
    /// well below that, so no alert is ever refused for its size. The row keeps the start.
    /// </summary>
    private static string? Bounded(string? text) => text is { Length: > MaxPropertyChars } ? text[..MaxPropertyChars] + "…" : text;

    private const int MaxPropertyChars = 8 * 1024;
}
