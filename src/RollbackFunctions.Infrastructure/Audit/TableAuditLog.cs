using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Options;
using RollbackFunctions.Core.Audit;
using RollbackFunctions.Core.Ports;
using RollbackFunctions.Infrastructure.Storage;

namespace RollbackFunctions.Infrastructure.Audit;

/// <summary>
/// The audit trail in Table storage: one partition per chain, rows keyed by sequence number, each
/// holding the hash of the one before. A head row per chain names the last sequence and hash; a new
/// row and the moved head are written in one transaction that fails if anyone else appended in
/// between, so concurrent writers (parallel step reverts) cannot fork the chain. Rows are only ever
/// inserted: no code path updates or deletes one. With keys configured (<see cref="AuditOptions"/>)
/// each row's hash and the head are HMACs: someone with write access to the table but not the key
/// can neither re-link edited rows nor move the head back over removed ones.
/// </summary>
public sealed class TableAuditLog(StorageTables tables, SecretRedactor redactor, TimeProvider clock, IOptions<AuditOptions> options) : IAuditLog
{
    private readonly Dictionary<string, byte[]> keys = options.Value.Keys.ToDictionary(k => k.Key, k => Encoding.UTF8.GetBytes(k.Value), StringComparer.Ordinal);
    private readonly string currentKey = options.Value.CurrentKey ?? "";

    private const string HeadRow = "~head";
    private const string Genesis = "0000000000000000000000000000000000000000000000000000000000000000";

    /// <summary>
    /// Appends made at the same moment in this process (the steps of one revert level) are linked
    /// and written together, in one transaction: with one transaction each, all but one lost the race
    /// for the head, re-read it and tried again, a few storage round trips per step on every level.
    /// </summary>
    private readonly GroupCommit<PendingAppend> appends = new();

    /// <summary>Rows per transaction: Table transactions take at most 100 entities, one of them the head.</summary>
    private const int RowsPerTransaction = 99;

    /// <summary>
    /// The head each chain was left at by this process's last append: the next append links to it
    /// without reading it first (one round trip instead of two for every step started or finished).
    /// Safe because the head moves only under its ETag: if anyone else appended since, the
    /// transaction fails, the entry is dropped and the head read again.
    /// </summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, KnownHead> heads = new(StringComparer.Ordinal);

    /// <summary>More chains than this remembered and the memory starts over (a rollback appends for minutes, then never again).</summary>
    private const int HeadsRemembered = 1024;

    public async Task<AuditRow> AppendAsync(AuditEntry entry, CancellationToken cancellationToken)
    {
        var pending = new PendingAppend(entry, Digest(entry.Inputs), redactor.Redact(entry.Detail));
        await appends.AddAsync(entry.Chain, pending, batch => AppendBatchAsync(entry.Chain, batch, cancellationToken));
        return pending.Row!;
    }

    private async Task AppendBatchAsync(string chain, IReadOnlyList<PendingAppend> batch, CancellationToken cancellationToken)
    {
        foreach (var chunk in batch.Chunk(RowsPerTransaction))
        {
            await AppendChunkAsync(chain, chunk, cancellationToken);
        }
    }

    private async Task AppendChunkAsync(string chain, PendingAppend[] chunk, CancellationToken cancellationToken)
    {
        while (true)
        {
            // Appends to one chain in this process take turns (GroupCommit), so the remembered head is ours to use.
            var remembered = heads.TryRemove(chain, out var known);
            var head = remembered ? known : await ReadHeadAsync(chain, cancellationToken);
            var sequence = head?.Sequence ?? 0;
            var hash = head?.Hash ?? Genesis;
            var rows = new List<AuditRow>(chunk.Length);
            foreach (var pending in chunk)
            {
                var row = Link(currentKey, ++sequence, clock.GetUtcNow(), pending.Entry.Actor, pending.Entry.Action, pending.Digest, pending.Entry.Outcome, pending.Detail, hash);
                rows.Add(row);
                hash = row.Hash;
            }

            var headEntity = new TableEntity(chain, HeadRow) { ["Sequence"] = sequence, ["Hash"] = hash, ["KeyId"] = currentKey, ["Seal"] = Seal(currentKey, chain, sequence, hash) };
            TableTransactionAction moveHead = head is not null
                ? new(TableTransactionActionType.UpdateReplace, headEntity, head.ETag)
                : new(TableTransactionActionType.Add, headEntity);
            try
            {
                var replies = await tables.Audit.SubmitTransactionAsync([.. rows.Select(row => new TableTransactionAction(TableTransactionActionType.Add, ToEntity(chain, row))), moveHead], cancellationToken);
                Remember(chain, sequence, hash, replies.Value[^1].Headers.ETag);
            }
            catch (TableTransactionFailedException e) when (e.Status is 409 or 412 || (e.Status == 404 && remembered))
            {
                // Another writer appended first (link to its rows instead), or this transaction landed
                // and its reply was lost, and the client's retry met it (all of it, or none, landed), or
                // the remembered head is gone. Either way the head is read again next time.
                if (!await LandedAsync(chain, rows[^1], cancellationToken))
                {
                    continue;
                }
            }

            for (var i = 0; i < chunk.Length; i++)
            {
                chunk[i].Row = rows[i];
            }

            return;
        }
    }

    private async Task<KnownHead?> ReadHeadAsync(string chain, CancellationToken cancellationToken)
    {
        var head = await tables.Audit.GetEntityIfExistsAsync<TableEntity>(chain, HeadRow, cancellationToken: cancellationToken);
        return head.HasValue ? new KnownHead(head.Value!.GetInt64("Sequence") ?? 0, head.Value!.GetString("Hash") ?? Genesis, head.Value!.ETag) : null;
    }

    private void Remember(string chain, long sequence, string hash, ETag? etag)
    {
        if (etag is not { } known || known == default)
        {
            return; // a reply without the new ETag: read it next time
        }

        if (heads.Count >= HeadsRemembered)
        {
            heads.Clear();
        }

        heads[chain] = new KnownHead(sequence, hash, known);
    }

    /// <summary>A chain's head as last written or read here: its sequence, hash and ETag.</summary>
    private sealed record KnownHead(long Sequence, string Hash, ETag ETag);

    /// <summary>One caller's entry, prepared, and the row it became once stored.</summary>
    private sealed record PendingAppend(AuditEntry Entry, string Digest, string Detail)
    {
        public AuditRow? Row { get; set; }
    }

    /// <summary>Whether the chain holds <paramref name="row"/> itself at its sequence (its hash covers everything in it).</summary>
    private async Task<bool> LandedAsync(string chain, AuditRow row, CancellationToken cancellationToken)
    {
        var stored = await tables.Audit.GetEntityIfExistsAsync<TableEntity>(chain, RowKeyOf(row.Sequence), ["Hash"], cancellationToken);
        return stored.HasValue && stored.Value!.GetString("Hash") == row.Hash;
    }

    public async Task<AuditTrail> ReadAsync(string chain, CancellationToken cancellationToken)
    {
        var rows = new List<AuditRow>();
        TableEntity? head = null;
        await foreach (var entity in tables.Audit.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {chain}"), cancellationToken: cancellationToken))
        {
            if (entity.RowKey == HeadRow)
            {
                head = entity;
            }
            else
            {
                rows.Add(FromEntity(entity));
            }
        }

        rows = rows.OrderBy(r => r.Sequence).ToList();
        var problem = Verify(chain, rows, head);
        var keyed = rows.All(r => r.KeyId.Length > 0) && (head is null || head.GetString("KeyId") is { Length: > 0 });
        return new AuditTrail(rows, problem is null, problem, keyed);
    }

    /// <summary>Null when the chain is intact, else the first break.</summary>
    private string? Verify(string chain, IReadOnlyList<AuditRow> rows, TableEntity? head)
    {
        var previous = Genesis;
        for (var i = 0; i < rows.Count; i++)
        {
            var row = rows[i];
            if (row.Sequence != i + 1)
            {
                return $"row {i + 1} is missing";
            }

            if (row.PreviousHash != previous)
            {
                return $"row {row.Sequence} does not link to row {row.Sequence - 1}";
            }

            if (row.KeyId.Length > 0 && !keys.ContainsKey(row.KeyId))
            {
                return $"row {row.Sequence} is signed with key '{row.KeyId}', which is not configured (Rollback:Audit:Keys): it cannot be verified";
            }

            var recomputed = Link(row.KeyId, row.Sequence, row.At, row.Actor, row.Action, row.InputsDigest, row.Outcome, row.Detail, row.PreviousHash).Hash;
            if (recomputed != row.Hash)
            {
                return $"row {row.Sequence} was altered: its hash does not match its content";
            }

            previous = row.Hash;
        }

        var headSequence = head?.GetInt64("Sequence") ?? 0;
        if (headSequence != rows.Count || (head?.GetString("Hash") ?? Genesis) != previous)
        {
            return $"the chain ends at row {rows.Count} but its head says {headSequence}: rows were removed";
        }

        var headKey = head?.GetString("KeyId") ?? "";
        if (head is not null && headKey.Length > 0
            && (!keys.ContainsKey(headKey) || !CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(head.GetString("Seal") ?? ""), Encoding.ASCII.GetBytes(Seal(headKey, chain, headSequence, previous)))))
        {
            return $"the chain's head is not sealed by the product: it was moved (rows after {headSequence} may have been removed)";
        }

        return null;
    }

    private AuditRow Link(string keyId, long sequence, DateTimeOffset at, string actor, string action, string digest, string outcome, string detail, string previousHash)
    {
        var content = string.Join('\n', previousHash, sequence.ToString(CultureInfo.InvariantCulture), at.UtcDateTime.ToString("O", CultureInfo.InvariantCulture), actor, action, digest, outcome, detail);
        return new AuditRow(sequence, at, actor, action, digest, outcome, detail, previousHash, Mac(keyId, content)) { KeyId = keyId };
    }

    /// <summary>What the head says, signed: a head moved back over removed rows no longer carries a valid seal.</summary>
    private string Seal(string keyId, string chain, long sequence, string hash) =>
        keyId.Length == 0 ? "" : Mac(keyId, string.Join('\n', "head", chain, sequence.ToString(CultureInfo.InvariantCulture), hash));

    private string Mac(string keyId, string content)
    {
        var bytes = Encoding.UTF8.GetBytes(content);
        return Convert.ToHexStringLower(keyId.Length == 0 ? SHA256.HashData(bytes) : HMACSHA256.HashData(keys[keyId], bytes));
    }

    private string Digest(object? inputs)
    {
        var json = redactor.RedactJson(inputs, StorageJson.Options)?.ToJsonString() ?? "null";
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(json)));
    }

    private static string RowKeyOf(long sequence) => sequence.ToString("D12", CultureInfo.InvariantCulture);

    private static TableEntity ToEntity(string chain, AuditRow row) => new(chain, RowKeyOf(row.Sequence))
    {
        ["At"] = row.At.UtcDateTime.ToString("O", CultureInfo.InvariantCulture),
        ["Actor"] = row.Actor,
        ["Action"] = row.Action,
        ["InputsDigest"] = row.InputsDigest,
        ["Outcome"] = row.Outcome,
        ["Detail"] = row.Detail,
        ["PreviousHash"] = row.PreviousHash,
        ["Hash"] = row.Hash,
        ["KeyId"] = row.KeyId,
    };

    private static AuditRow FromEntity(TableEntity e) => new(
        long.Parse(e.RowKey, CultureInfo.InvariantCulture),
        DateTimeOffset.Parse(e.GetString("At"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal),
        e.GetString("Actor"),
        e.GetString("Action"),
        e.GetString("InputsDigest"),
        e.GetString("Outcome"),
        e.GetString("Detail"),
        e.GetString("PreviousHash"),
        e.GetString("Hash"))
    {
        KeyId = e.GetString("KeyId") ?? "",
    };
}
