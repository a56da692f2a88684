using Azure.Data.Tables;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Ports;

namespace RollbackFunctions.Infrastructure.Storage;

/// <summary>
/// Deploys in Table storage: one entity per deploy (partition = deploy id), with service,
/// environment and state as columns for correlation queries.
/// </summary>
public sealed class TableDeployStore(StorageTables tables) : IDeployStore
{
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

    // A filtered scan: fine for thousands of deploys. An index partition per service is the next step.
    public Task<IReadOnlyList<DeployRecord>> FindAsync(string service, string environment, CancellationToken cancellationToken) =>
        documents.QueryAsync(TableClient.CreateQueryFilter($"Service eq {service} and Environment eq {environment}"), cancellationToken);

    public Task<DeployRecord?> UpdateAsync(string deployId, Func<DeployRecord, DeployRecord?> change, CancellationToken cancellationToken) =>
        documents.UpdateAsync(deployId, RowKey, change, cancellationToken);
}
