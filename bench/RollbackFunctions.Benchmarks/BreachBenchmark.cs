using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using RollbackFunctions.Local;

/// <summary>
/// Breach to first revert through the deploy's own watcher: a real Prometheus (Debian package)
/// scrapes a gauge every second; the gauge goes bad and the clock runs until the revert arrives.
/// Usage: dotnet run -c Release --project bench/RollbackFunctions.Benchmarks -- breach [runs=5] [watchIntervalSeconds=5]
/// </summary>
internal static class BreachBenchmark
{
    public static async Task<IReadOnlyList<Figure>> RunAsync(int runs, int intervalSeconds)
    {
        var root = AzuriteProcess.FindRepoRoot(AppContext.BaseDirectory) ?? throw new InvalidOperationException("run from inside the repository");
        var data = Path.Combine(Path.GetTempPath(), $"rollback-bench-{Guid.NewGuid():N}");
        var azurite = await AzuriteProcess.StartAsync(root, data, BenchNet.FreePort(), BenchNet.FreePort(), BenchNet.FreePort(), Console.Error.WriteLine);

        var bad = new ConcurrentDictionary<string, bool>();
        var reverts = new ConcurrentDictionary<string, long>();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        await using var target = builder.Build();
        target.MapGet("/metrics", () => Results.Text(
            string.Concat(bad.Select(b => $"bench_error_ratio{{service=\"{b.Key}\"}} {(b.Value ? "0.4" : "0.0")}\n")), "text/plain; version=0.0.4"));
        target.MapPost("/revert/{service}", (string service) =>
        {
            reverts.TryAdd(service, Stopwatch.GetTimestamp());
            bad[service] = false; // the revert fixes production
            return Results.Ok();
        });
        await target.StartAsync();
        var targetUrl = BenchNet.Address(target.Services);

        using var prometheus = StartPrometheus(new Uri(targetUrl), out var prometheusUrl, out var prometheusData);
        await using var runtime = await LocalRuntime.BuildAsync(
        [
            "--urls", "http://127.0.0.1:0",
            $"--Rollback:Storage:ConnectionString={azurite.ConnectionString}",
            "--Rollback:Executors:Webhook:AllowedHosts:0=127.0.0.1",
            $"--Rollback:Prometheus:BaseUrl={prometheusUrl}",
            "--Logging:LogLevel:Default=Warning",
        ]);
        await runtime.App.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(BenchNet.Address(runtime.App.Services)) };
        await WaitAsync(async () => (await new HttpClient().GetStringAsync($"{prometheusUrl}/-/ready")).Length > 0, "Prometheus ready");

        Console.WriteLine($"| run | watch interval | breach -> first revert |");
        Console.WriteLine("|---|---|---|");
        var times = new List<double>();
        for (var run = 1; run <= runs; run++)
        {
            var service = $"svc{run}{Guid.NewGuid():N}"[..16];
            bad[service] = false;
            await WaitAsync(async () => (await new HttpClient().GetStringAsync($"{prometheusUrl}/api/v1/query?query=bench_error_ratio{{service=\"{service}\"}}")).Contains(service, StringComparison.Ordinal), "first scrape");
            var deployId = $"breach-{service}";
            using (var registered = await http.PostAsync("/api/deploys", Json($$$"""
                {"deployId":"{{{deployId}}}","service":"{{{service}}}","environment":"bench","version":"2",
                 "steps":[{"id":"app","kind":"webhook","params":{"revertUrl":"{{{targetUrl}}}/revert/{{{service}}}"}}],
                 "conditions":{"watchInterval":"00:00:{{{intervalSeconds:00}}}","checks":[{"name":"errors","query":"max(bench_error_ratio{service=\"{{{service}}}\"})","unhealthyAbove":0.05,"failureLimit":1}]}}
                """)))
            {
                registered.EnsureSuccessStatusCode();
            }

            (await http.PostAsync($"/api/deploys/{deployId}/complete", Json("{}"))).Dispose();
            await Task.Delay(TimeSpan.FromSeconds(intervalSeconds * 1.5)); // the watcher is mid-interval, as it would be
            var broke = Stopwatch.GetTimestamp();
            bad[service] = true;
            await WaitAsync(() => Task.FromResult(reverts.ContainsKey(service)), "the revert");
            var ms = Stopwatch.GetElapsedTime(broke, reverts[service]).TotalMilliseconds;
            times.Add(ms);
            Console.WriteLine($"| {run} | {intervalSeconds} s | {ms:0} ms |");
        }

        times.Sort();
        Console.WriteLine($"breach -> first revert: median {times[times.Count / 2]:0} ms, max {times[^1]:0} ms over {runs} run(s)");
        await runtime.App.StopAsync();
        prometheus.Kill(entireProcessTree: true);
        await prometheus.WaitForExitAsync();
        Directory.Delete(prometheusData, recursive: true);
        await azurite.StopAsync(keepData: false);
        Directory.Delete(data, recursive: true);
        return [new Figure($"breach -> first revert through the watcher ({intervalSeconds} s interval), median / worst of {runs}", $"{Figure.Ms(times[times.Count / 2])} / {Figure.Ms(times[^1])}", "(no target)", true)];
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static Process StartPrometheus(Uri target, out string url, out string data)
    {
        data = Path.Combine(Path.GetTempPath(), $"bench-prometheus-{Guid.NewGuid():N}");
        Directory.CreateDirectory(data);
        var port = BenchNet.FreePort();
        var config = Path.Combine(data, "prometheus.yml");
        File.WriteAllText(config, $"""
            global:
              scrape_interval: 1s
              evaluation_interval: 1s
            scrape_configs:
              - job_name: bench
                static_configs:
                  - targets: ['{target.Authority}']
            """);
        url = $"http://127.0.0.1:{port}";
        var process = BenchNet.StartQuiet("prometheus", [$"--config.file={config}", $"--storage.tsdb.path={Path.Combine(data, "tsdb")}", $"--web.listen-address=127.0.0.1:{port}"]);
        return process;
    }

    private static async Task WaitAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (true)
        {
            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // not up yet
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{what} never happened");
            }

            await Task.Delay(50);
        }
    }
}
