using System.Collections.Concurrent;
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
/// HA pairs, Datadog retries) land on the same row and only move its last-seen time and count (and
/// name the rollback if the row had none); concurrent re-sends of one row are written together.
/// What can no longer change is remembered in this process: an episode that names its rollback, and
/// a service already noted firing this minute. Each write carries an id kept among the row's recent
/// ones, so a write whose reply was lost and that the client retried is recognised, not counted twice.
/// </summary>
public sealed class TableAlertLog(StorageTables tables) : IAlertLog
{
    /// <summary>Bound of each in-process memory; past it the memory starts over (it is only a shortcut).</summary>
    private const int MaxRemembered = 50_000;

    /// <summary>
    /// Write ids a row keeps: more than can land on one row between a write and the re-read after its
    /// lost reply (a few seconds; re-sends of one row are joined into one write per round trip).
    /// </summary>
    private const int RecentWrites = 32;

    private readonly GroupCommit<TableEntity> resends = new();
    private readonly ConcurrentDictionary<string, FiringEpisode> settledEpisodes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> notedFiring = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, StoredCount> lastWritten = new(StringComparer.Ordinal);

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
            ["RecentWrites"] = NewWriteId(),
        };

        if (rollbackId is not null && alert.Status == AlertStatus.Firing
            && !(settledEpisodes.TryGetValue(alert.DedupKey, out var settled) && settled.RollbackId == rollbackId))
        {
            // Indexed by rollback, so its verification finds every episode that fired against it.
            await tables.Alerts.UpsertEntityAsync(
                new TableEntity(RollbackPartition(rollbackId), partitionKey) { ["DedupKey"] = alert.DedupKey, ["Name"] = alert.Name },
                TableUpdateMode.Replace,
                cancellationToken);
        }

        var firing = alert.Status == AlertStatus.Firing;
        var key = $"{partitionKey}/{rowKey}";
        // A row this process has written or read exists: only its count can change.
        if (!(firing && settledEpisodes.ContainsKey(alert.DedupKey)) && !lastWritten.ContainsKey(key)
            && await AddFirstReceiptAsync(entity, cancellationToken))
        {
            if (firing && rollbackId is not null)
            {
                Remember(settledEpisodes, alert.DedupKey, new FiringEpisode(receivedAt, decision.DeployId, rollbackId));
            }

            return true;
        }

        // A re-send (or the loser of a race between two first receipts): count it. The write serves
        // every request in its batch, so no one request's cancellation may stop it.
        await resends.AddAsync(key, entity, batch => CountResendsAsync(partitionKey, rowKey, batch, CancellationToken.None));
        return false;
    }

    /// <summary>
    /// Adds the alert's row; false when it was there already. A 409 on the client's retry of an add
    /// that landed is told apart by the write id the row carries.
    /// </summary>
    private async Task<bool> AddFirstReceiptAsync(TableEntity entity, CancellationToken cancellationToken)
    {
        try
        {
            await tables.Alerts.AddEntityAsync(entity, cancellationToken);
            return true;
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            if (await ReadCountAsync(entity.PartitionKey, entity.RowKey, cancellationToken) is not { } stored)
            {
                return false; // deleted since: counting the re-send puts it back
            }

            Remember(lastWritten, $"{entity.PartitionKey}/{entity.RowKey}", stored);
            return stored.Holds(entity.GetString("RecentWrites"));
        }
    }

    public async Task<FiringEpisode?> FiringEpisodeAsync(string dedupKey, CancellationToken cancellationToken)
    {
        if (settledEpisodes.TryGetValue(dedupKey, out var settled))
        {
            return settled;
        }

        var row = await tables.Alerts.GetEntityIfExistsAsync<TableEntity>(PartitionOf(dedupKey), nameof(AlertStatus.Firing), ["FirstReceivedAt", "DeployId", "RollbackId"], cancellationToken);
        if (!row.HasValue || row.Value!.GetDateTimeOffset("FirstReceivedAt") is not { } first)
        {
            return null;
        }

        var episode = new FiringEpisode(first, row.Value.GetString("DeployId"), row.Value.GetString("RollbackId"));
        if (episode.RollbackId is not null)
        {
            Remember(settledEpisodes, dedupKey, episode);
        }

        return episode;
    }

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

    public async Task NoteFiringAsync(string service, string environment, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var row = new TableEntity($"{FiringPrefix(environment)}{at.UtcDateTime:yyyyMMddHHmm}", Digest(service));
        var key = $"{row.PartitionKey}/{row.RowKey}";
        if (!notedFiring.ContainsKey(key))
        {
            await tables.Alerts.UpsertEntityAsync(row, TableUpdateMode.Replace, cancellationToken);
            Remember(notedFiring, key, (byte)0);
        }
    }

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

    /// <summary>
    /// Adds a batch of re-sends to the stored row: count and last-seen time, and the deploy, rollback
    /// and decision when the row named no rollback and a re-send did (the first decision stays
    /// otherwise). Retried when another process wrote the row in between.
    /// </summary>
    private async Task CountResendsAsync(string partitionKey, string rowKey, IReadOnlyList<TableEntity> batch, CancellationToken cancellationToken)
    {
        var key = $"{partitionKey}/{rowKey}";
        var writeId = NewWriteId();
        // The row as this process last wrote or read it saves a read per batch; a write by anyone
        // else since fails the ETag check and the row is read again.
        var known = lastWritten.TryGetValue(key, out var written) ? written : null;
        while (true)
        {
            known ??= await ReadCountAsync(partitionKey, rowKey, cancellationToken);
            if (known is null)
            {
                // The row was deleted (by hand: nothing here deletes alerts): the batch starts it again.
                var restored = batch[^1];
                restored["Received"] = batch.Count;
                restored["LastReceivedAt"] = batch.Max(e => e.GetDateTimeOffset("LastReceivedAt"));
                restored["RecentWrites"] = writeId;
                try
                {
                    await tables.Alerts.AddEntityAsync(restored, cancellationToken);
                    return;
                }
                catch (RequestFailedException e) when (e.Status == 409)
                {
                    continue;
                }
            }

            if (known.Holds(writeId))
            {
                return; // an earlier try landed; its reply was lost and the client's retry met 412
            }

            var update = new TableEntity(partitionKey, rowKey)
            {
                ["LastReceivedAt"] = batch.Select(e => e.GetDateTimeOffset("LastReceivedAt")!.Value).Append(known.LastReceivedAt).Max(),
                ["Received"] = known.Received + batch.Count,
                ["RecentWrites"] = string.Join(' ', known.RecentWrites.Append(writeId).TakeLast(RecentWrites)),
            };
            if (!known.NamesRollback && batch.LastOrDefault(e => e.GetString("RollbackId") is not null) is { } named)
            {
                update["DeployId"] = named["DeployId"];
                update["RollbackId"] = named["RollbackId"];
                update["Decision"] = named["Decision"];
            }

            try
            {
                var response = await tables.Alerts.UpdateEntityAsync(update, known.ETag, TableUpdateMode.Merge, cancellationToken);
                Remember(lastWritten, key, new StoredCount(response.Headers.ETag!.Value, update.GetInt32("Received")!.Value, update.GetDateTimeOffset("LastReceivedAt")!.Value, known.NamesRollback || update.ContainsKey("RollbackId"), update.GetString("RecentWrites").Split(' ')));
                return;
            }
            catch (RequestFailedException e) when (e.Status is 412 or 404)
            {
                known = null;
            }
        }
    }

    private async Task<StoredCount?> ReadCountAsync(string partitionKey, string rowKey, CancellationToken cancellationToken)
    {
        var response = await tables.Alerts.GetEntityIfExistsAsync<TableEntity>(partitionKey, rowKey, ["Received", "LastReceivedAt", "RollbackId", "RecentWrites"], cancellationToken);
        if (!response.HasValue)
        {
            return null;
        }

        var stored = response.Value!;
        return new StoredCount(stored.ETag, stored.GetInt32("Received") ?? 1, stored.GetDateTimeOffset("LastReceivedAt") ?? DateTimeOffset.MinValue, stored.GetString("RollbackId") is not null,
            stored.GetString("RecentWrites")?.Split(' ', StringSplitOptions.RemoveEmptyEntries) ?? []);
    }

    private static string NewWriteId() => Guid.NewGuid().ToString("N")[..12];

    private sealed record StoredCount(ETag ETag, int Received, DateTimeOffset LastReceivedAt, bool NamesRollback, IReadOnlyList<string> RecentWrites)
    {
        public bool Holds(string? writeId) => RecentWrites.Contains(writeId);
    }

    private static void Remember<TValue>(ConcurrentDictionary<string, TValue> memory, string key, TValue value)
    {
        if (memory.Count >= MaxRemembered)
        {
            memory.Clear();
        }

        memory[key] = value;
    }

    /// <summary>
    /// A Table string property holds 64 KiB (32K UTF-16 characters): what an alert carries is cut
    /// well below that, so no alert is ever refused for its size. The row keeps the start.
    /// </summary>
    private static string? Bounded(string? text) => text is { Length: > MaxPropertyChars } ? text[..MaxPropertyChars] + "…" : text;

    private const int MaxPropertyChars = 8 * 1024;
}
