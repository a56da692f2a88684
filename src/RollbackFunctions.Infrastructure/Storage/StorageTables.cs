using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
// Azure.Core (1.62+) carries the Azure.Identity credentials itself.
using Azure.Identity;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace RollbackFunctions.Infrastructure.Storage;

/// <summary>The product's tables, named with the configured prefix.</summary>
public sealed class StorageTables
{
    public StorageTables(IOptions<StorageOptions> options)
        : this(options, policy: null)
    {
    }

    /// <param name="options">Where the tables are.</param>
    /// <param name="policy">Sees every request and reply, retries included (tests inject faults with it).</param>
    public StorageTables(IOptions<StorageOptions> options, HttpPipelinePolicy? policy)
    {
        var service = Connect(options.Value, policy);
        var prefix = options.Value.TablePrefix;
        Deploys = service.GetTableClient($"{prefix}Deploys");
        DeployIndex = service.GetTableClient($"{prefix}DeployIndex");
        Rollbacks = service.GetTableClient($"{prefix}Rollbacks");
        Alerts = service.GetTableClient($"{prefix}Alerts");
        Audit = service.GetTableClient($"{prefix}Audit");
        Quarantine = service.GetTableClient($"{prefix}Quarantine");
    }

    public TableClient Deploys { get; }

    /// <summary>Deploy ids by service and environment, newest first: what correlation reads.</summary>
    public TableClient DeployIndex { get; }
    public TableClient Rollbacks { get; }
    public TableClient Alerts { get; }
    public TableClient Audit { get; }

    /// <summary>Versions and artifacts a rollback reverted, by service and environment.</summary>
    public TableClient Quarantine { get; }

    /// <summary>
    /// A connection string, or the endpoint with an Entra ID token (the app's managed identity in
    /// Azure, where shared-key access is disabled). Retries are short: a request that waits on storage
    /// holds a webhook sender, which is better answered 503 soon and retries itself.
    /// </summary>
    private static TableServiceClient Connect(StorageOptions options, HttpPipelinePolicy? policy)
    {
        var client = new TableClientOptions();
        if (policy is not null)
        {
            client.AddPolicy(policy, HttpPipelinePosition.PerRetry);
        }

        client.Retry.MaxRetries = 2;
        client.Retry.Delay = TimeSpan.FromMilliseconds(200);
        client.Retry.MaxDelay = TimeSpan.FromSeconds(2);
        client.Retry.NetworkTimeout = TimeSpan.FromSeconds(10);
        if (!string.IsNullOrEmpty(options.ConnectionString))
        {
            return new TableServiceClient(options.ConnectionString, client);
        }

        Azure.Core.TokenCredential credential = options.Credential.Equals("managedidentity", StringComparison.OrdinalIgnoreCase)
            ? new ManagedIdentityCredential(string.IsNullOrEmpty(options.ClientId) ? ManagedIdentityId.SystemAssigned : ManagedIdentityId.FromUserAssignedClientId(options.ClientId))
            : new DefaultAzureCredential(new DefaultAzureCredentialOptions { ManagedIdentityClientId = string.IsNullOrEmpty(options.ClientId) ? null : options.ClientId });
        return new TableServiceClient(options.IdentityEndpoint!, credential, client);
    }

    /// <summary>Creates the tables that do not exist yet.</summary>
    public async Task EnsureCreatedAsync(CancellationToken cancellationToken)
    {
        foreach (var table in new[] { Deploys, DeployIndex, Rollbacks, Alerts, Audit, Quarantine })
        {
            await table.CreateIfNotExistsAsync(cancellationToken);
        }
    }
}

/// <summary>Creates the tables when the app starts, before the first request needs them.</summary>
internal sealed class StorageTablesInitializer(StorageTables tables) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => tables.EnsureCreatedAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
