using Azure.Core.Pipeline;
using Microsoft.Extensions.Options;
using RollbackFunctions.Infrastructure.Storage;

namespace RollbackFunctions.Testing;

/// <summary>Fresh tables on the shared Azurite for one test class.</summary>
public static class StorageFixture
{
    /// <param name="policy">Sees every storage request and reply (a test's fault at the wire).</param>
    public static async Task<StorageTables> CreateTablesAsync(HttpPipelinePolicy? policy = null)
    {
        var tables = new StorageTables(Options.Create(new StorageOptions
        {
            ConnectionString = await SharedAzurite.ConnectionStringAsync(),
            TablePrefix = Repo.UniqueName("s"),
        }), policy);
        await tables.EnsureCreatedAsync(CancellationToken.None);
        return tables;
    }
}
