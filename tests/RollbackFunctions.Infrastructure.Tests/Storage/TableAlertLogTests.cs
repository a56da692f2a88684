using RollbackFunctions.Core.Alerts;
using RollbackFunctions.Core.Correlation;
using RollbackFunctions.Core.Ports;
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

    [SkippableFact]
    public async Task FiringEpisode_RemembersTheFirstReceiptAndTheMatchedDeploy()
    {
        var log = new TableAlertLog(await StorageFixture.CreateTablesAsync());
        var alert = new AlertSignal(AlertSource.Alertmanager, "group/abc#1", "HighErrorRate", AlertStatus.Firing, new Dictionary<string, string>(), new Dictionary<string, string>(), Now, null);

        Assert.Null(await log.FiringEpisodeAsync(alert.DedupKey, default));
        await log.RecordAsync(alert, new CorrelationDecision("checkout-7", "matched", []), "rb-checkout-7", Now, default);
        await log.RecordAsync(alert, new CorrelationDecision("checkout-7", "matched", []), "rb-checkout-7", Now.AddMinutes(5), default);

        Assert.Equal(new FiringEpisode(Now, "checkout-7"), await log.FiringEpisodeAsync(alert.DedupKey, default));
    }
}
