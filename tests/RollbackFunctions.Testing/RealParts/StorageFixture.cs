using Microsoft.Extensions.Options;
using RollbackFunctions.Infrastructure.Storage;

namespace RollbackFunctions.Testing;

/// <summary>Fresh tables on the shared Azurite for one test class.</summary>
public static class StorageFixture
{
    public static async Task<StorageTables> CreateTablesAsync()
    {
        var tables = new StorageTables(Options.Create(new StorageOptions
        {
            ConnectionString = await SharedAzurite.ConnectionStringAsync(),
            TablePrefix = Repo.UniqueName("s"),
        }));
        await tables.EnsureCreatedAsync(CancellationToken.None);
        return tables;
    }
}
