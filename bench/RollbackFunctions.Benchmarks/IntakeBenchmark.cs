using System.Globalization;
using RollbackFunctions.Local;

/// <summary>
/// Alert intake throughput: re-sends of one Alertmanager group that matched a deploy (the normal
/// case: HA pairs and group_interval re-send), then GET /api/health on the same runtime for the
/// ratio. Usage: ... -- intake [requests=3000] [concurrency=32]
/// </summary>
internal static class IntakeBenchmark
{
    public static async Task RunAsync(int requests, int concurrency)
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
        var alerts = await LoadBenchmark.RunAsync(http, requests, concurrency, _ => LoadBenchmark.Post("/api/alerts/alertmanager", group));
        var health = await LoadBenchmark.RunAsync(http, requests, concurrency, _ => new HttpRequestMessage(HttpMethod.Get, "/api/health"));

        Console.WriteLine($"| endpoint | requests | concurrency | per second | p50 | p99 | max | statuses |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|");
        Row("POST /api/alerts/alertmanager (re-sends of one group)", alerts, concurrency);
        Row("GET /api/health", health, concurrency);
        Console.WriteLine($"alert intake / health throughput: {alerts.PerSecond / health.PerSecond:0.00}");
    }

    public static void Row(string what, LoadBenchmark.Result result, int concurrency) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {what} | {result.Requests} | {concurrency} | {result.PerSecond:0} | {result.P50Ms:0} ms | {result.P99Ms:0} ms | {result.MaxMs:0} ms | {result.StatusSummary} |"));

    /// <summary>An Alertmanager v4 group of <paramref name="alerts"/> firing alerts for one service.</summary>
    public static string AlertmanagerGroup(string service, string environment, string groupKey, int alerts, string status = "firing")
    {
        var items = string.Join(",", Enumerable.Range(0, alerts).Select(i => $$"""
            {"status":"{{status}}","fingerprint":"{{groupKey}}-{{i}}","labels":{"alertname":"Bench{{i}}","service":"{{service}}","environment":"{{environment}}","severity":"critical"},
             "annotations":{"summary":"error ratio above 5%"},"startsAt":"2026-11-28T08:00:00Z","endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://prometheus/graph"}
            """));
        return $$"""
            {"version":"4","groupKey":"{}:{alertname=\"{{groupKey}}\"}","truncatedAlerts":0,"status":"{{status}}","receiver":"rollback",
             "groupLabels":{"alertname":"{{groupKey}}"},"commonLabels":{"service":"{{service}}"},"commonAnnotations":{},"externalURL":"http://alertmanager:9093",
             "alerts":[{{items}}]}
            """;
    }
}
