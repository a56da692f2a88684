using System.Globalization;
using RollbackFunctions.Local;

/// <summary>
/// Alert intake throughput: re-sends of one Alertmanager group that matched a deploy (the normal
/// case: HA pairs and group_interval re-send), then GET /api/health on the same runtime for the
/// ratio. Usage: ... -- intake [requests=3000] [concurrency=32]
/// </summary>
internal static class IntakeBenchmark
{
    public static async Task<IReadOnlyList<Figure>> RunAsync(int requests, int concurrency)
    {
        await using var bench = await BenchRuntime.StartAsync([]);
        var http = bench.Http;
        const string service = "intake-bench";
        await bench.PostAsync("/api/deploys", $$$"""
            {"deployId":"intake-1","service":"{{{service}}}","environment":"bench","version":"2",
             "steps":[{"id":"app","kind":"webhook","params":{"revertUrl":"{{{bench.ReceiverUrl}}}/revert/intake-1"}}]}
            """);
        await bench.PostAsync("/api/deploys/intake-1/complete", "{}");
        var group = AlertmanagerGroup(service, "bench", "g1", 1);

        // Warm up: the first alert starts the rollback; what follows are re-sends.
        await bench.PostAsync("/api/alerts/alertmanager", group);
        GC.Collect();
        await Task.Delay(TimeSpan.FromSeconds(5));
        var idleMemory = MemoryMb();
        var peakMemory = idleMemory;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                peakMemory = Math.Max(peakMemory, MemoryMb());
                await Task.Delay(100);
            }
        });
        var alerts = await LoadBenchmark.RunAsync(http, requests, concurrency, _ => LoadBenchmark.Post("/api/alerts/alertmanager", group));
        var health = await LoadBenchmark.RunAsync(http, requests, concurrency, _ => new HttpRequestMessage(HttpMethod.Get, "/api/health"));

        // The storm of the fault tests: distinct alerts over 20 deploys (5 groups each) and 20
        // groups matching nothing, picked at random, so first receipts, rollback starts and
        // unmatched re-sends (which correlate every time) are mixed in.
        for (var d = 0; d < 20; d++)
        {
            await bench.PostAsync("/api/deploys", $$$"""
                {"deployId":"storm-{{{d}}}","service":"storm-{{{d}}}","environment":"bench","version":"2",
                 "steps":[{"id":"app","kind":"webhook","params":{"revertUrl":"{{{bench.ReceiverUrl}}}/revert/storm-{{{d}}}"}}]}
                """);
            await bench.PostAsync($"/api/deploys/storm-{d}/complete", "{}");
        }

        var groups = Enumerable.Range(0, 100).Select(g => AlertmanagerGroup($"storm-{g / 5}", "bench", $"s{g}", 2))
            .Concat(Enumerable.Range(0, 20).Select(u => AlertmanagerGroup($"nobody-{u}", "bench", $"u{u}", 2))).ToList();
        var random = new Random(7);
        var picks = Enumerable.Range(0, requests).Select(_ => random.Next(groups.Count)).ToArray();
        var storm = await LoadBenchmark.RunAsync(http, requests, concurrency, i => LoadBenchmark.Post("/api/alerts/alertmanager", groups[picks[i]]));
        await sampling.CancelAsync();
        await sampler;

        Console.WriteLine($"| endpoint | requests | concurrency | per second | p50 | p99 | max | statuses |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|");
        Row("POST /api/alerts/alertmanager (re-sends of one group)", alerts, concurrency);
        Row("GET /api/health", health, concurrency);
        Row("POST /api/alerts/alertmanager (storm: 120 groups, 20 deploys, some unmatched)", storm, concurrency);
        Console.WriteLine($"alert intake / health throughput: {alerts.PerSecond / health.PerSecond:0.00}");
        return
        [
            new Figure(
                $"alert intake (re-sends of one group, concurrency {concurrency}), beside GET /api/health",
                string.Create(CultureInfo.InvariantCulture, $"{alerts.PerSecond:0}/s, p50 {alerts.P50Ms:0} ms, p99 {alerts.P99Ms:0} ms; health {health.PerSecond:0}/s (ratio {alerts.PerSecond / health.PerSecond:0.00})"),
                "≥ 500 alerts/s, p99 ≤ 100 ms",
                alerts.PerSecond >= 500 && alerts.P99Ms <= 100 && alerts.Statuses.Keys.All(s => s == 202),
                alerts.P99Ms > 100 ? "2 cores shared by the runtime, Azurite and the load generator: health's own p99 is in the same range" : null),
            new Figure(
                $"alert intake, mixed storm (120 groups of 2 alerts over 20 deploys and 20 unmatched, concurrency {concurrency})",
                string.Create(CultureInfo.InvariantCulture, $"{storm.PerSecond:0}/s, p50 {storm.P50Ms:0} ms, p99 {storm.P99Ms:0} ms, {storm.StatusSummary}"),
                "(no target; zero 5xx)",
                storm.Statuses.Keys.All(s => s == 202)),
            new Figure("resident memory, idle / peak during the intake storm", $"{idleMemory:0} MB / {peakMemory:0} MB", "≤ 300 MB", peakMemory <= 300,
                "this process also runs the load generator and the receiver"),
        ];
    }

    /// <summary>Resident memory of this process (the runtime, plus the load generator).</summary>
    private static double MemoryMb()
    {
        using var self = System.Diagnostics.Process.GetCurrentProcess();
        return self.WorkingSet64 / 1024.0 / 1024.0;
    }

    public static void Row(string what, LoadBenchmark.Result result, int concurrency) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {what} | {result.Requests} | {concurrency} | {result.PerSecond:0} | {result.P50Ms:0} ms | {result.P99Ms:0} ms | {result.MaxMs:0} ms | {result.StatusSummary} |"));

    /// <summary>An Alertmanager v4 group of <paramref name="alerts"/> firing alerts for one service.</summary>
    public static string AlertmanagerGroup(string service, string environment, string groupKey, int alerts, string status = "firing", DateTimeOffset? since = null)
    {
        var startsAt = (since ?? DateTimeOffset.UtcNow).ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
        var items = string.Join(",", Enumerable.Range(0, alerts).Select(i => $$"""
            {"status":"{{status}}","fingerprint":"{{groupKey}}-{{i}}","labels":{"alertname":"Bench{{i}}","service":"{{service}}","environment":"{{environment}}","severity":"critical"},
             "annotations":{"summary":"error ratio above 5%"},"startsAt":"{{startsAt}}","endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://prometheus/graph"}
            """));
        return $$"""
            {"version":"4","groupKey":"{}:{alertname=\"{{groupKey}}\"}","truncatedAlerts":0,"status":"{{status}}","receiver":"rollback",
             "groupLabels":{"alertname":"{{groupKey}}"},"commonLabels":{"service":"{{service}}"},"commonAnnotations":{},"externalURL":"http://alertmanager:9093",
             "alerts":[{{items}}]}
            """;
    }
}
