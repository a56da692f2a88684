using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using RollbackFunctions.Local;

/// <summary>
/// Restart to resumed with the shipped settings: the local runtime runs as its own process, is
/// killed (SIGKILL) while a slow revert is in flight, and is started again at once on the same
/// storage; the figure is the time from the kill to the interrupted revert arriving again.
/// </summary>
internal static class CrashBenchmark
{
    public static async Task<IReadOnlyList<Figure>> RunAsync(int runs)
    {
        var root = AzuriteProcess.FindRepoRoot(AppContext.BaseDirectory) ?? throw new InvalidOperationException("run from inside the repository");
        var data = Path.Combine(Path.GetTempPath(), $"rollback-bench-{Guid.NewGuid():N}");
        var azurite = await AzuriteProcess.StartAsync(root, data, BenchNet.FreePort(), BenchNet.FreePort(), BenchNet.FreePort(), Console.Error.WriteLine);
        var arrivals = new ConcurrentQueue<(string Key, long At)>();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        await using var receiver = builder.Build();
        receiver.MapPost("/revert/{key}", async (string key) =>
        {
            arrivals.Enqueue((key, Stopwatch.GetTimestamp()));
            await Task.Delay(TimeSpan.FromSeconds(3)); // a revert that takes a while, e.g. a rollout
            return Results.Ok();
        });
        await receiver.StartAsync();
        var receiverUrl = BenchNet.Address(receiver.Services);
        var dll = Path.Combine(AppContext.BaseDirectory, "RollbackFunctions.Local.dll");
        var url = $"http://127.0.0.1:{BenchNet.FreePort()}";
        string[] arguments = [dll, "--urls", url, $"--Rollback:Storage:ConnectionString={azurite.ConnectionString}", "--Rollback:Executors:Webhook:AllowedHosts:0=127.0.0.1", "--Logging:LogLevel:Default=Warning"];
        using var http = new HttpClient { BaseAddress = new Uri(url) };
        var resumed = new List<double>();
        var runtime = await StartAsync(arguments, http);
        try
        {
            Console.WriteLine("| run | kill -> interrupted revert sent again |");
            Console.WriteLine("|---|---|");
            for (var run = 1; run <= runs; run++)
            {
                var deployId = $"crash-{run}-{Guid.NewGuid():N}"[..20];
                await PostAsync(http, "/api/deploys", $$$"""
                    {"deployId":"{{{deployId}}}","service":"{{{deployId}}}","environment":"bench","version":"2",
                     "steps":[{"id":"app","kind":"webhook","params":{"revertUrl":"{{{receiverUrl}}}/revert/{{{deployId}}}"}}]}
                    """);
                await PostAsync(http, $"/api/deploys/{deployId}/complete", "{}");
                await PostAsync(http, "/api/alerts/alertmanager", IntakeBenchmark.AlertmanagerGroup(deployId, "bench", deployId, 1));
                await UntilAsync(() => arrivals.Any(a => a.Key == deployId));
                runtime.Kill(entireProcessTree: true);
                await runtime.WaitForExitAsync();
                var killed = Stopwatch.GetTimestamp();
                runtime.Dispose();
                runtime = await StartAsync(arguments, http);
                await UntilAsync(() => arrivals.Count(a => a.Key == deployId) >= 2);
                var again = arrivals.Where(a => a.Key == deployId).Skip(1).First().At;
                resumed.Add(Stopwatch.GetElapsedTime(killed, again).TotalMilliseconds);
                Console.WriteLine($"| {run} | {resumed[^1] / 1000:0.0} s |");
            }
        }
        finally
        {
            runtime.Kill(entireProcessTree: true);
            await runtime.WaitForExitAsync();
            await azurite.StopAsync(keepData: false);
            Directory.Delete(data, recursive: true);
        }

        var worst = resumed.Max();
        return [new Figure($"kill -9 mid-revert -> resumed by the restarted runtime (default settings), median / worst of {runs}", $"{Figure.Percentile(resumed, 50) / 1000:0.0} s / {worst / 1000:0.0} s", "< 15 s", worst < 15_000)];
    }

    internal static async Task<Process> StartAsync(string[] arguments, HttpClient http)
    {
        var process = BenchNet.StartQuiet("dotnet", arguments);
        await UntilAsync(async () =>
        {
            try
            {
                return (await http.GetAsync("/api/health")).IsSuccessStatusCode;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        });
        return process;
    }

    internal static async Task PostAsync(HttpClient http, string path, string json)
    {
        using var response = await http.PostAsync(path, new StringContent(json, System.Text.Encoding.UTF8, "application/json"));
        response.EnsureSuccessStatusCode();
    }

    private static Task UntilAsync(Func<bool> condition) => UntilAsync(() => Task.FromResult(condition()));

    private static async Task UntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("waited two minutes");
            }

            await Task.Delay(20);
        }
    }
}
