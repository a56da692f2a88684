using System.Diagnostics;
using Microsoft.Extensions.Options;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Infrastructure.Storage;
using RollbackFunctions.Local;

/// <summary>
/// Correlation's read with many deploys stored: <c>deploys</c> registrations spread over
/// <c>services</c> services are written through the deploy store, then the deploys of random
/// services are looked up as an alert's correlation does (down to the newest deploy not rolled back). Measured before seeding (100 deploys)
/// and after, so the two costs can be compared.
/// </summary>
internal static class LookupBenchmark
{
    public static async Task<IReadOnlyList<Figure>> RunAsync(int deploys, int services)
    {
        var root = AzuriteProcess.FindRepoRoot(AppContext.BaseDirectory) ?? throw new InvalidOperationException("run from inside the repository");
        var data = Path.Combine(Path.GetTempPath(), $"rollback-bench-{Guid.NewGuid():N}");
        var azurite = await AzuriteProcess.StartAsync(root, data, BenchNet.FreePort(), BenchNet.FreePort(), BenchNet.FreePort(), Console.Error.WriteLine);
        try
        {
            var tables = new StorageTables(Options.Create(new StorageOptions { ConnectionString = azurite.ConnectionString, TablePrefix = "Lookup" }));
            await tables.EnsureCreatedAsync(default);
            var store = new TableDeployStore(tables);

            await SeedAsync(store, 0, 100, services);
            var small = await LookupsAsync(store, services, 500);
            var seeding = Stopwatch.StartNew();
            await SeedAsync(store, 100, deploys, services);
            Console.WriteLine($"seeded {deploys} deploys over {services} services in {seeding.Elapsed.TotalSeconds:0} s");
            var large = await LookupsAsync(store, services, 2000);

            Console.WriteLine($"lookup with 100 deploys stored: p50 {Figure.Ms(Figure.Percentile(small, 50))}, p99 {Figure.Ms(Figure.Percentile(small, 99))}");
            Console.WriteLine($"lookup with {deploys} deploys stored: p50 {Figure.Ms(Figure.Percentile(large, 50))}, p99 {Figure.Ms(Figure.Percentile(large, 99))}");
            var p99 = Figure.Percentile(large, 99);
            return
            [
                new Figure(
                    $"correlation lookup p99 with {deploys:N0} deploys stored ({deploys / services} per service; 100 stored: p99 {Figure.Ms(Figure.Percentile(small, 99))})",
                    $"p50 {Figure.Ms(Figure.Percentile(large, 50))}, p99 {Figure.Ms(p99)}",
                    "≤ 20 ms",
                    p99 <= 20),
            ];
        }
        finally
        {
            await azurite.StopAsync(keepData: false);
            Directory.Delete(data, recursive: true);
        }
    }

    private static async Task SeedAsync(TableDeployStore store, int from, int to, int services)
    {
        var start = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var next = from - 1;
        await Task.WhenAll(Enumerable.Range(0, 32).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < to)
            {
                await store.AddAsync(
                    new DeployRecord
                    {
                        DeployId = $"d{i:D7}",
                        Service = $"svc{i % services:D4}",
                        Environment = "prod",
                        Version = $"{i}",
                        Steps = [],
                        WatchMinutes = 30,
                        Labels = new Dictionary<string, string>(),
                        State = DeployState.Stable,
                        RegisteredAt = start.AddMinutes(i),
                        RegistrationDigest = "bench",
                    },
                    default);
            }
        }));
    }

    private static async Task<List<double>> LookupsAsync(TableDeployStore store, int services, int count)
    {
        var random = new Random(1);
        var times = new List<double>();
        for (var i = 0; i < count; i++)
        {
            var started = Stopwatch.GetTimestamp();
            await store.FindAsync($"svc{random.Next(services):D4}", "prod", default, RollbackFunctions.Core.Correlation.Correlator.SupersedesOlder);
            times.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }

        return times;
    }
}
