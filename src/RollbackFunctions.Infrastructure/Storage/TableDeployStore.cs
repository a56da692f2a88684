using System.Security.Cryptography;
using System.Text;
using Azure.Data.Tables;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Ports;

namespace RollbackFunctions.Infrastructure.Storage;

/// <summary>
/// Deploys in Table storage: one entity per deploy (partition = deploy id), and an index row per
/// deploy in a partition per service and environment, keyed newest first. Finding the deploys an
/// alert may belong to reads the newest <see cref="IDeployStore.MaxCandidates"/> index rows and
/// those deploys, so it costs the same with a hundred or a hundred thousand deploys stored.
/// </summary>
public sealed class TableDeployStore(StorageTables tables) : IDeployStore
{
    private const int MaxCandidates = IDeployStore.MaxCandidates;

    private const string RowKey = "deploy";

    private readonly TableDocuments<DeployRecord> documents = new(tables.Deploys, StorageJson.Options, (entity, deploy) =>
    {
        entity["Service"] = deploy.Service;
        entity["Environment"] = deploy.Environment;
        entity["State"] = deploy.State.ToString();
        entity["RegisteredAt"] = deploy.RegisteredAt;
    });

    public async Task<(DeployRecord Stored, bool Created)> AddAsync(DeployRecord record, CancellationToken cancellationToken)
    {
        // The index row first: a crash between the two leaves an index row without a deploy (skipped
        // when read), never a deploy that correlation cannot find.
        await Task.WhenAll(
            tables.DeployIndex.UpsertEntityAsync(IndexRow(record), TableUpdateMode.Replace, cancellationToken),
            tables.DeployIndex.UpsertEntityAsync(DayRow(record), TableUpdateMode.Replace, cancellationToken));
        while (true)
        {
            if (await documents.TryAddAsync(record.DeployId, RowKey, record, cancellationToken))
            {
                return (record, true);
            }

            // Lost the race to an identical or conflicting registration; report what is stored.
            if (await GetAsync(record.DeployId, cancellationToken) is { } existing)
            {
                return (existing, false);
            }
        }
    }

    public async Task<DeployRecord?> GetAsync(string deployId, CancellationToken cancellationToken) =>
        (await documents.GetAsync(deployId, RowKey, cancellationToken))?.Document;

    public async Task<IReadOnlyList<DeployRecord>> FindAsync(string service, string environment, CancellationToken cancellationToken, Func<DeployRecord, bool>? lastNeeded = null)
    {
        var ids = new List<string>(MaxCandidates);
        var partition = IndexPartition(service, environment);
        // Usually one page; the service may return a short (even empty) page with a continuation.
        await foreach (var page in tables.DeployIndex.QueryAsync<TableEntity>(e => e.PartitionKey == partition, maxPerPage: MaxCandidates, select: ["DeployId"], cancellationToken: cancellationToken).AsPages())
        {
            ids.AddRange(page.Values.Select(row => row.GetString("DeployId")).Where(id => !ids.Contains(id)).Take(MaxCandidates - ids.Count));
            if (ids.Count >= MaxCandidates)
            {
                break;
            }
        }

        // The newest alone first: usually it is the last one needed, and one read is the whole lookup.
        var found = new List<DeployRecord>();
        foreach (var batch in new[] { ids.Take(1), ids.Skip(1) })
        {
            foreach (var deploy in await Task.WhenAll(batch.Select(id => GetAsync(id, cancellationToken))))
            {
                // An index row whose deploy was never stored, or was stored by a conflicting registration, is not a candidate.
                if (deploy is null || deploy.Service != service || deploy.Environment != environment)
                {
                    continue;
                }

                found.Add(deploy);
                if (lastNeeded?.Invoke(deploy) == true)
                {
                    return found;
                }
            }
        }

        return found;
    }

    public async Task<IReadOnlyList<DeployRecord>> ListRecentAsync(DateTimeOffset registeredSince, int max, CancellationToken cancellationToken) =>
        (await documents.QueryAsync(TableClient.CreateQueryFilter($"RegisteredAt ge {registeredSince}"), cancellationToken))
            .OrderByDescending(d => d.RegisteredAt).ThenBy(d => d.DeployId, StringComparer.Ordinal).Take(max).ToList();

    public async Task<IReadOnlyList<DeployRecord>> ListRegisteredAsync(DateTimeOffset from, DateTimeOffset to, string? service, string? environment, int max, CancellationToken cancellationToken)
    {
        var only = new[]
        {
            service is null ? null : TableClient.CreateQueryFilter($"Service eq {service}"),
            environment is null ? null : TableClient.CreateQueryFilter($"Environment eq {environment}"),
        }.OfType<string>().ToList();
        var ids = await DayIndex.IdsAsync(tables.DeployIndex, RegisteredDay, from, to, only.Count == 0 ? null : string.Join(" and ", only), max, cancellationToken);
        var found = await DayIndex.ReadAsync(ids, GetAsync, cancellationToken);
        // A row of a conflicting registration under another service or environment is not that deploy.
        return found.Where(d => (service is null || d.Service == service) && (environment is null || d.Environment == environment) && d.RegisteredAt >= from && d.RegisteredAt <= to)
            .OrderByDescending(d => d.RegisteredAt).ThenBy(d => d.DeployId, StringComparer.Ordinal).ToList();
    }

    public async Task<int> PruneAsync(DateTimeOffset retainedSince, CancellationToken cancellationToken)
    {
        // A scan, run rarely by the maintenance timer; registration time bounds it server-side.
        var pruned = 0;
        foreach (var deploy in await documents.QueryAsync(TableClient.CreateQueryFilter($"RegisteredAt lt {retainedSince}"), cancellationToken))
        {
            if (deploy.IsPrunable(retainedSince))
            {
                await tables.DeployIndex.DeleteEntityAsync(IndexRow(deploy), cancellationToken: cancellationToken);
                await tables.DeployIndex.DeleteEntityAsync(DayRow(deploy), cancellationToken: cancellationToken);
                await tables.Deploys.DeleteEntityAsync(deploy.DeployId, RowKey, cancellationToken: cancellationToken);
                pruned++;
            }
        }

        return pruned;
    }

    public Task<DeployRecord?> UpdateAsync(string deployId, Func<DeployRecord, DeployRecord?> change, CancellationToken cancellationToken) =>
        documents.UpdateAsync(deployId, RowKey, change, cancellationToken);

    /// <summary>Service and environment may hold characters Table keys forbid, so the partition is a digest of them.</summary>
    private static string IndexPartition(string service, string environment) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes($"{service}\n{environment}")))[..32];

    /// <summary>The partitions of <see cref="DayRow"/>.</summary>
    private const string RegisteredDay = "registered";

    /// <summary>The deploy in the index by registration day (<see cref="DayIndex"/>), with what the impact figures filter on.</summary>
    private static TableEntity DayRow(DeployRecord record) =>
        new(DayIndex.Partition(RegisteredDay, record.RegisteredAt), DayIndex.Row(record.RegisteredAt, record.DeployId))
        {
            ["Id"] = record.DeployId,
            ["Service"] = record.Service,
            ["Environment"] = record.Environment,
        };

    /// <summary>Rows sort ascending, so the key counts down with the registration time: newest first.</summary>
    private static TableEntity IndexRow(DeployRecord record) =>
        new(IndexPartition(record.Service, record.Environment), $"{DateTimeOffset.MaxValue.UtcTicks - record.RegisteredAt.UtcTicks:D19}-{record.DeployId}")
        {
            ["DeployId"] = record.DeployId,
        };
}
