using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using RollbackFunctions.Local;

/// <summary>
/// A restart costs nothing: per run the local runtime (its own process, shipped settings) is stopped
/// gracefully (SIGTERM, as a service manager or a rolling deploy does), started again at once on the
/// same storage and task hub, and an Alertmanager webhook is posted the moment the new process
/// answers <c>/api/health</c>. The figures are alert -> page and alert -> first revert (against a
/// control: the same on a first start, with no predecessor), and how long
/// the graceful stop took. Before the handover a restarted runtime waited for the old process's
/// partition leases to expire (about 8 s).
/// </summary>
internal static class RestartBenchmark
{
    public static async Task<IReadOnlyList<Figure>> RunAsync(int runs)
    {
        var root = AzuriteProcess.FindRepoRoot(AppContext.BaseDirectory) ?? throw new InvalidOperationException("run from inside the repository");
        var data = Path.Combine(Path.GetTempPath(), $"rollback-bench-{Guid.NewGuid():N}");
        var azurite = await AzuriteProcess.StartAsync(root, data, BenchNet.FreePort(), BenchNet.FreePort(), BenchNet.FreePort(), Console.Error.WriteLine);
        var arrivals = new ConcurrentDictionary<string, long>();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        await using var receiver = builder.Build();
        receiver.MapPost("/v2/enqueue", async (HttpRequest request) =>
        {
            var body = JsonNode.Parse(await new StreamReader(request.Body).ReadToEndAsync())!;
            arrivals.TryAdd($"page:{body["dedup_key"]}", Stopwatch.GetTimestamp());
            return Results.Accepted();
        });
        receiver.MapPost("/v2/change/enqueue", () => Results.Accepted());
        receiver.MapPost("/revert/{key}", (string key) =>
        {
            arrivals.TryAdd($"revert:{key}", Stopwatch.GetTimestamp());
            return Results.Ok();
        });
        await receiver.StartAsync();
        var receiverUrl = BenchNet.Address(receiver.Services);
        var url = $"http://127.0.0.1:{BenchNet.FreePort()}";
        string[] arguments =
        [
            Path.Combine(AppContext.BaseDirectory, "RollbackFunctions.Local.dll"), "--urls", url,
            $"--Rollback:Storage:ConnectionString={azurite.ConnectionString}",
            "--Rollback:Executors:Webhook:AllowedHosts:0=127.0.0.1",
            $"--Rollback:Notifications:PagerDutyEventsUrl={receiverUrl}",
            "--Rollback:Notifications:Default:PagerDutyRoutingKey=BENCHMARKROUTINGKEY0123456789ABC",
            "--Rollback:Policy:MassAlertServices=100000",
            "--Rollback:Policy:MaxAutomaticRollbacks=100000",
            "--Logging:LogLevel:Default=Warning",
        ];
        using var http = new HttpClient { BaseAddress = new Uri(url) };
        List<double> stops = [], paged = [], reverted = [];
        var firstStart = (Page: 0.0, Revert: 0.0);
        var runtime = await CrashBenchmark.StartAsync(arguments, http);
        try
        {
            Console.WriteLine("| run | graceful stop (SIGTERM -> exit) | restart -> healthy | alert -> page | alert -> first revert |");
            Console.WriteLine("|---|---|---|---|---|");
            // Run 0 is the control: a runtime started on a task hub nobody held before, first alert
            // at once. It pays what any new process pays (JIT, first connections); the restarts pay
            // that plus whatever the predecessor left behind.
            for (var run = 0; run <= runs; run++)
            {
                var deployId = $"restart-{run}-{Guid.NewGuid():N}"[..20];
                await CrashBenchmark.PostAsync(http, "/api/deploys", $$$"""
                    {"deployId":"{{{deployId}}}","service":"{{{deployId}}}","environment":"bench","version":"2",
                     "steps":[{"id":"app","kind":"webhook","params":{"revertUrl":"{{{receiverUrl}}}/revert/{{{deployId}}}"}}]}
                    """);
                await CrashBenchmark.PostAsync(http, $"/api/deploys/{deployId}/complete", "{}");

                var healthy = 0.0;
                if (run > 0)
                {
                    var stopping = Stopwatch.GetTimestamp();
                    await StopGracefullyAsync(runtime);
                    stops.Add(Stopwatch.GetElapsedTime(stopping).TotalMilliseconds);
                    runtime.Dispose();
                    var starting = Stopwatch.GetTimestamp();
                    runtime = await CrashBenchmark.StartAsync(arguments, http);
                    healthy = Stopwatch.GetElapsedTime(starting).TotalMilliseconds;
                }

                var sent = Stopwatch.GetTimestamp();
                await CrashBenchmark.PostAsync(http, "/api/alerts/alertmanager", IntakeBenchmark.AlertmanagerGroup(deployId, "bench", deployId, 1));
                var revertedAt = await ArrivalAsync(arrivals, $"revert:{deployId}");
                var pagedAt = await ArrivalAsync(arrivals, $"page:rb-{deployId}");
                var page = Stopwatch.GetElapsedTime(sent, pagedAt).TotalMilliseconds;
                var revert = Stopwatch.GetElapsedTime(sent, revertedAt).TotalMilliseconds;
                if (run == 0)
                {
                    firstStart = (page, revert);
                    Console.WriteLine($"| control: first start, no predecessor | — | — | {Figure.Ms(page)} | {Figure.Ms(revert)} |");
                    continue;
                }

                paged.Add(page);
                reverted.Add(revert);
                Console.WriteLine($"| {run} | {Figure.Ms(stops[^1])} | {Figure.Ms(healthy)} | {Figure.Ms(page)} | {Figure.Ms(revert)} |");
            }
        }
        finally
        {
            runtime.Kill(entireProcessTree: true);
            await runtime.WaitForExitAsync();
            await azurite.StopAsync(keepData: false);
            Directory.Delete(data, recursive: true);
        }

        var worstPage = paged.Max();
        return
        [
            new Figure($"alert -> page, posted as a gracefully restarted runtime answers health, median / worst of {runs}", $"{Figure.Ms(Figure.Percentile(paged, 50))} / {Figure.Ms(worstPage)}", "≤ 1 s", worstPage <= 1000),
            new Figure("same, alert -> first revert, median / worst", $"{Figure.Ms(Figure.Percentile(reverted, 50))} / {Figure.Ms(reverted.Max())}", "(no target)", true),
            new Figure("control: alert -> page / first revert on a first start (no predecessor, same cold process)", $"{Figure.Ms(firstStart.Page)} / {Figure.Ms(firstStart.Revert)}", "(the floor of a new process)", true),
            new Figure("graceful stop, SIGTERM -> exit with the leases released, median / worst", $"{Figure.Ms(Figure.Percentile(stops, 50))} / {Figure.Ms(stops.Max())}", "(no target)", true),
        ];
    }

    private static async Task StopGracefullyAsync(Process runtime)
    {
        using (var kill = Process.Start("kill", ["-TERM", $"{runtime.Id}"]))
        {
            await kill.WaitForExitAsync();
        }

        await runtime.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1));
    }

    private static async Task<long> ArrivalAsync(ConcurrentDictionary<string, long> arrivals, string key)
    {
        var deadline = DateTime.UtcNow.AddMinutes(1);
        while (!arrivals.ContainsKey(key))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{key} never arrived");
            }

            await Task.Delay(5);
        }

        return arrivals[key];
    }
}
