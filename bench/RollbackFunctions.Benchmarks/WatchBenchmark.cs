using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using RollbackFunctions.Local;

/// <summary>
/// How the watcher performs and scales. Breach → first revert with a 5 s and a 1 s watch interval
/// (real Prometheus, <see cref="BreachBenchmark"/>); then many deploys watched at once on one local
/// runtime against a stand-in Prometheus that notes when each deploy's query arrives: the lag
/// between a sample's due time (the previous sample plus the interval) and its query, and the
/// storage transactions per watched deploy-hour, counted by relays in front of Azurite.
/// Usage: dotnet run -c Release --project bench/RollbackFunctions.Benchmarks -- watch [deploys=500] [seconds=120] [intervalSeconds=15] [breachRuns=5]
/// </summary>
internal static class WatchBenchmark
{
    public static async Task<IReadOnlyList<Figure>> RunAsync(int deploys, int seconds, int intervalSeconds, int breachRuns)
    {
        var figures = new List<Figure>();
        if (breachRuns > 0)
        {
            figures.AddRange(await BreachBenchmark.RunAsync(breachRuns, 5));
            figures.AddRange((await BreachBenchmark.RunAsync(breachRuns, 1)).Select(f => f with { Note = "1 query/s per check per deploy" }));
        }

        figures.AddRange(await ScaleAsync(deploys, TimeSpan.FromSeconds(seconds), TimeSpan.FromSeconds(intervalSeconds)));
        return figures;
    }

    private static async Task<IReadOnlyList<Figure>> ScaleAsync(int deploys, TimeSpan measured, TimeSpan interval)
    {
        var root = AzuriteProcess.FindRepoRoot(AppContext.BaseDirectory) ?? throw new InvalidOperationException("run from inside the repository");
        var data = Path.Combine(Path.GetTempPath(), $"rollback-bench-{Guid.NewGuid():N}");
        var (blob, queue, table) = (BenchNet.FreePort(), BenchNet.FreePort(), BenchNet.FreePort());
        var azurite = await AzuriteProcess.StartAsync(root, data, blob, queue, table, Console.Error.WriteLine);
        CountingRelay[] relays = [new(blob), new(queue), new(table)];

        // The stand-in Prometheus: every query answered healthy, its arrival noted per query.
        var arrivals = new ConcurrentDictionary<string, ConcurrentQueue<long>>();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        await using var prometheus = builder.Build();
        prometheus.MapPost("/api/v1/query", async (HttpRequest request) =>
        {
            var query = (await request.ReadFormAsync())["query"].ToString();
            arrivals.GetOrAdd(query, _ => new()).Enqueue(Stopwatch.GetTimestamp());
            var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            return Results.Text("{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"metric\":{},\"value\":[" + now + ",\"0\"]}]}}", "application/json");
        });
        prometheus.MapPost("/revert/{service}", () => Results.Ok());
        await prometheus.StartAsync();
        var prometheusUrl = BenchNet.Address(prometheus.Services);

        await using var runtime = await LocalRuntime.BuildAsync(
        [
            "--urls", "http://127.0.0.1:0",
            $"--Rollback:Storage:ConnectionString={AzuriteProcess.ConnectionStringFor(relays[0].Port, relays[1].Port, relays[2].Port)}",
            "--Rollback:Executors:Webhook:AllowedHosts:0=127.0.0.1",
            $"--Rollback:Prometheus:BaseUrl={prometheusUrl}",
            "--Logging:LogLevel:Default=Warning",
        ]);
        await runtime.App.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(BenchNet.Address(runtime.App.Services)) };

        var registering = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, deploys), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, _) =>
        {
            var service = $"w{i}";
            using var registered = await http.PostAsync("/api/deploys", Json($$$"""
                {"deployId":"watch-{{{service}}}","service":"{{{service}}}","environment":"bench","version":"2","watchMinutes":600,
                 "steps":[{"id":"app","kind":"webhook","params":{"revertUrl":"{{{prometheusUrl}}}/revert/{{{service}}}"}}],
                 "conditions":{"watchInterval":"{{{interval:c}}}","checks":[{"name":"errors","query":"max(bench_error_ratio{service=\"{{{service}}}\"})","unhealthyAbove":0.05}]}}
                """));
            registered.EnsureSuccessStatusCode();
            (await http.PostAsync($"/api/deploys/watch-{service}/complete", Json("{}"))).Dispose();
        });
        Console.WriteLine($"{deploys} deploys registered in {registering.Elapsed.TotalSeconds:0.0} s; warming up for {2 * interval.TotalSeconds:0} s");
        await Task.Delay(2 * interval);

        var before = relays.Select(r => r.Requests).ToArray();
        var from = Stopwatch.GetTimestamp();
        await Task.Delay(measured);
        var to = Stopwatch.GetTimestamp();
        var transactions = relays.Select((r, i) => r.Requests - before[i]).ToArray();

        // Lag of a sample: how much later than the previous sample plus the interval its query came.
        var lags = new List<double>();
        var samples = 0;
        foreach (var times in arrivals.Values)
        {
            var inWindow = times.Where(t => t >= from && t <= to).Order().ToList();
            samples += inWindow.Count;
            lags.AddRange(inWindow.Zip(inWindow.Skip(1), (a, b) => Stopwatch.GetElapsedTime(a, b).TotalMilliseconds - interval.TotalMilliseconds));
        }

        var silent = deploys - arrivals.Values.Count(t => t.Any(x => x >= from && x <= to));
        var deployHours = deploys * measured.TotalHours;
        var perDeployHour = transactions.Sum() / deployHours;
        Console.WriteLine($"| deploys | interval | samples | silent deploys | lag p50 | lag p99 | storage requests blob/queue/table | per watched deploy-hour |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|");
        var (p50, p99) = lags.Count > 0 ? (Figure.Percentile(lags, 50), Figure.Percentile(lags, 99)) : (double.NaN, double.NaN);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {deploys} | {interval.TotalSeconds:0} s | {samples} | {silent} | {p50:0} ms | {p99:0} ms | {string.Join("/", transactions)} | {perDeployHour:0} |"));

        await runtime.App.StopAsync();
        foreach (var relay in relays)
        {
            await relay.DisposeAsync();
        }

        await azurite.StopAsync(keepData: false);
        Directory.Delete(data, recursive: true);
        return
        [
            new Figure($"watcher lag, due → query, {deploys} deploys at {interval.TotalSeconds:0} s, p50 / p99", $"{Figure.Ms(p50)} / {Figure.Ms(p99)}", $"p99 < {interval.TotalSeconds:0} s", p99 < interval.TotalMilliseconds && silent == 0,
                silent > 0 ? $"{silent} deploy(s) not sampled in the window" : null),
            new Figure($"storage transactions per watched deploy-hour ({interval.TotalSeconds:0} s interval)", perDeployHour.ToString("0", CultureInfo.InvariantCulture), "(no target)", true,
                $"blob/queue/table {string.Join("/", transactions)} in {measured.TotalSeconds:0} s"),
        ];
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");
}
