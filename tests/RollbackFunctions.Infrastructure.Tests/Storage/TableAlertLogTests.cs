using RollbackFunctions.Infrastructure.Storage;

namespace RollbackFunctions.Infrastructure.Tests.Storage;

/// <summary>The alert log's minute-by-minute count of firing services, on Azurite.</summary>
public sealed class TableAlertLogTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 28, 12, 30, 40, TimeSpan.Zero);

    [SkippableFact]
    public async Task CountFiringServices_DistinctServicesOfOneEnvironmentWithinTheWindow()
    {
        var log = new TableAlertLog(await StorageFixture.CreateTablesAsync());
        await log.NoteFiringAsync("checkout", "prod", Now, default);
        await log.NoteFiringAsync("checkout", "prod", Now.AddSeconds(-5), default); // the same service again
        await log.NoteFiringAsync("cart", "prod", Now.AddMinutes(-4), default);
        await log.NoteFiringAsync("search", "prod", Now.AddMinutes(-20), default); // before the window
        await log.NoteFiringAsync("search", "staging", Now, default); // another environment

        Assert.Equal(2, await log.CountFiringServicesAsync("prod", Now.AddMinutes(-5), default));
        Assert.Equal(1, await log.CountFiringServicesAsync("staging", Now.AddMinutes(-5), default));
        Assert.Equal(0, await log.CountFiringServicesAsync("dev", Now.AddMinutes(-5), default));
    }
}
