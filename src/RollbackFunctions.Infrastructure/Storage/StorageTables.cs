using Azure.Data.Tables;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace RollbackFunctions.Infrastructure.Storage;

/// <summary>The product's tables, named with the configured prefix.</summary>
public sealed class StorageTables
{
    public StorageTables(IOptions<StorageOptions> options)
    {
        var service = new TableServiceClient(options.Value.ConnectionString);
        var prefix = options.Value.TablePrefix;
        Deploys = service.GetTableClient($"{prefix}Deploys");
        Rollbacks = service.GetTableClient($"{prefix}Rollbacks");
        Alerts = service.GetTableClient($"{prefix}Alerts");
        Audit = service.GetTableClient($"{prefix}Audit");
    }

    public TableClient Deploys { get; }
    public TableClient Rollbacks { get; }
    public TableClient Alerts { get; }
    public TableClient Audit { get; }

    /// <summary>Creates the tables that do not exist yet.</summary>
    public async Task EnsureCreatedAsync(CancellationToken cancellationToken)
    {
        foreach (var table in new[] { Deploys, Rollbacks, Alerts, Audit })
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
