using System.Text.Json;
using Azure;
using Azure.Data.Tables;

namespace RollbackFunctions.Infrastructure.Storage;

/// <summary>
/// Stores a record as JSON inside a table entity. A binary property holds at most 64 KiB, so the
/// document is split over <c>Doc0</c>, <c>Doc1</c>, ... (an entity holds up to 1 MiB in all).
/// Query columns are written beside it by the caller. Every write carries a fresh <c>WriteId</c>: a
/// conditional write that landed but whose reply was lost is retried by the client and meets 409 or
/// 412, and the id tells that apart from another writer having been first.
/// </summary>
internal sealed class TableDocuments<T>(TableClient table, JsonSerializerOptions json, Action<TableEntity, T>? columns = null)
    where T : class
{
    private const int ChunkBytes = 60 * 1024;
    private const int MaxChunks = 15;
    private const string WriteId = "WriteId";

    /// <summary>The table, for callers that need a raw operation.</summary>
    public TableClient Table => table;

    public async Task<(T Document, ETag ETag)?> GetAsync(string partitionKey, string rowKey, CancellationToken cancellationToken)
    {
        var response = await table.GetEntityIfExistsAsync<TableEntity>(partitionKey, rowKey, cancellationToken: cancellationToken);
        return response.HasValue ? (Read(response.Value!), response.Value!.ETag) : null;
    }

    /// <summary>Inserts; false when the entity exists.</summary>
    public async Task<bool> TryAddAsync(string partitionKey, string rowKey, T document, CancellationToken cancellationToken)
    {
        var entity = ToEntity(partitionKey, rowKey, document);
        try
        {
            await table.AddEntityAsync(entity, cancellationToken);
            return true;
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            return await LandedAsync(entity, cancellationToken);
        }
    }

    /// <summary>Insert or replace.</summary>
    public Task PutAsync(string partitionKey, string rowKey, T document, CancellationToken cancellationToken) =>
        table.UpsertEntityAsync(ToEntity(partitionKey, rowKey, document), TableUpdateMode.Replace, cancellationToken);

    /// <summary>Replaces only if nobody wrote since <paramref name="etag"/>; false when someone did.</summary>
    public async Task<bool> TryReplaceAsync(string partitionKey, string rowKey, T document, ETag etag, CancellationToken cancellationToken)
    {
        var entity = ToEntity(partitionKey, rowKey, document);
        try
        {
            await table.UpdateEntityAsync(entity, etag, TableUpdateMode.Replace, cancellationToken);
            return true;
        }
        catch (RequestFailedException e) when (e.Status == 412)
        {
            return await LandedAsync(entity, cancellationToken);
        }
    }

    /// <summary>Whether the stored entity is this very write (an earlier try of it landed).</summary>
    private async Task<bool> LandedAsync(TableEntity written, CancellationToken cancellationToken)
    {
        var stored = await table.GetEntityIfExistsAsync<TableEntity>(written.PartitionKey, written.RowKey, [WriteId], cancellationToken);
        return stored.HasValue && stored.Value!.GetString(WriteId) == written.GetString(WriteId);
    }

    /// <summary>
    /// Changes made to one document at the same moment in this process (the steps of one revert level
    /// each recording their status on the deploy) are applied in turn to one read and stored in one
    /// write: each in its own read-change-write, all but one lost the ETag race and started again.
    /// </summary>
    private readonly GroupCommit<PendingChange> changes = new();

    /// <summary>
    /// Read, change, write under optimistic concurrency until it sticks. Null when absent; otherwise the
    /// document as this change left it (with any changes written together with it before it).
    /// </summary>
    public async Task<T?> UpdateAsync(string partitionKey, string rowKey, Func<T, T?> change, CancellationToken cancellationToken)
    {
        var pending = new PendingChange(change);
        await changes.AddAsync($"{partitionKey}\n{rowKey}", pending, batch => ApplyAsync(partitionKey, rowKey, batch, cancellationToken));
        pending.Failure?.Throw();
        return pending.Result;
    }

    /// <summary>
    /// The entity this process last wrote through <see cref="UpdateAsync"/>, per row, with its new
    /// ETag: the next change of the row (the next step of a revert level recording its status) starts
    /// from it instead of reading it again. Safe because the write is conditional on that ETag: if
    /// anyone else wrote since, it fails and the row is read. A change that writes nothing is always
    /// applied to a fresh read, so no caller is answered from memory alone.
    /// </summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, TableEntity> lastWritten = new(StringComparer.Ordinal);

    /// <summary>Rows remembered at most (each a single-chunk document), before the memory starts over.</summary>
    private const int RowsRemembered = 64;

    private async Task ApplyAsync(string partitionKey, string rowKey, IReadOnlyList<PendingChange> batch, CancellationToken cancellationToken)
    {
        var key = $"{partitionKey}\n{rowKey}";
        while (true)
        {
            // Changes of one row in this process take turns (GroupCommit), so the remembered entity is ours to use.
            var remembered = lastWritten.TryRemove(key, out var last);
            var current = remembered ? (Read(last!), last!.ETag) : await GetAsync(partitionKey, rowKey, cancellationToken);
            if (current is not var (document, etag))
            {
                return; // absent: every result stays null
            }

            var changed = false;
            foreach (var pending in batch)
            {
                try
                {
                    if (pending.Change(document) is { } next)
                    {
                        document = next;
                        changed = true;
                    }

                    pending.Result = document;
                }
                catch (Exception e)
                {
                    // One caller's failing change is that caller's error, not the others'.
                    pending.Failure = System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e);
                }
            }

            if (!changed && !remembered)
            {
                return;
            }

            if (changed && await TryReplaceRememberingAsync(key, partitionKey, rowKey, document, etag, cancellationToken))
            {
                return;
            }

            foreach (var pending in batch)
            {
                pending.Failure = null;
            }
        }
    }

    /// <summary>
    /// <see cref="TryReplaceAsync"/>, remembering the written entity when the reply carries its new
    /// ETag; false also when the row was deleted meanwhile (it is read again, and found absent).
    /// </summary>
    private async Task<bool> TryReplaceRememberingAsync(string key, string partitionKey, string rowKey, T document, ETag etag, CancellationToken cancellationToken)
    {
        var entity = ToEntity(partitionKey, rowKey, document);
        try
        {
            var reply = await table.UpdateEntityAsync(entity, etag, TableUpdateMode.Replace, cancellationToken);
            if (reply.Headers.ETag is { } written && written != default && entity.GetBinary("Doc1") is null)
            {
                if (lastWritten.Count >= RowsRemembered)
                {
                    lastWritten.Clear();
                }

                entity.ETag = written;
                lastWritten[key] = entity;
            }

            return true;
        }
        catch (RequestFailedException e) when (e.Status == 412)
        {
            return await LandedAsync(entity, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return false;
        }
    }

    private sealed class PendingChange(Func<T, T?> change)
    {
        public Func<T, T?> Change { get; } = change;

        public T? Result { get; set; }

        public System.Runtime.ExceptionServices.ExceptionDispatchInfo? Failure { get; set; }
    }

    public async Task<IReadOnlyList<T>> QueryAsync(string filter, CancellationToken cancellationToken)
    {
        var found = new List<T>();
        await foreach (var entity in table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
        {
            found.Add(Read(entity));
        }

        return found;
    }

    private TableEntity ToEntity(string partitionKey, string rowKey, T document)
    {
        var entity = new TableEntity(partitionKey, rowKey);
        var bytes = JsonSerializer.SerializeToUtf8Bytes(document, json);
        var chunks = (bytes.Length + ChunkBytes - 1) / ChunkBytes;
        if (chunks > MaxChunks)
        {
            throw new InvalidOperationException($"document of {bytes.Length} bytes is too large for one table entity");
        }

        for (var i = 0; i < chunks; i++)
        {
            entity[$"Doc{i}"] = bytes.AsSpan(i * ChunkBytes, Math.Min(ChunkBytes, bytes.Length - (i * ChunkBytes))).ToArray();
        }

        columns?.Invoke(entity, document);
        entity[WriteId] = Guid.NewGuid().ToString("N");
        return entity;
    }

    private T Read(TableEntity entity)
    {
        using var buffer = new MemoryStream();
        for (var i = 0; entity.GetBinary($"Doc{i}") is { } chunk; i++)
        {
            buffer.Write(chunk);
        }

        return JsonSerializer.Deserialize<T>(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), json)
            ?? throw new InvalidOperationException($"entity {entity.PartitionKey}/{entity.RowKey} holds no document");
    }
}
