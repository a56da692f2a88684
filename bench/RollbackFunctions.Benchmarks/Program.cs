// Latency of a rollback on the local runtime after the engine has been idle: alert to page,
// alert to first revert, alert to verified.
// Usage: dotnet run -c Release --project bench/RollbackFunctions.Benchmarks -- [idleSeconds=60] [runs=3]
//        dotnet run -c Release --project bench/RollbackFunctions.Benchmarks -- breach [runs=5] [watchIntervalSeconds=5]
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using RollbackFunctions.Local;

if (args.FirstOrDefault() == "intake")
{
    await IntakeBenchmark.RunAsync(
        args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 3000,
        args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 32);
    return;
}

if (args.FirstOrDefault() == "breach")
{
    await BreachBenchmark.RunAsync(
        args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 5,
        args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 5);
    return;
}

var idle = TimeSpan.FromSeconds(args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 60);
var runs = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 3;
var root = AzuriteProcess.FindRepoRoot(AppContext.BaseDirectory) ?? throw new InvalidOperationException("run from inside the repository");
var data = Path.Combine(Path.GetTempPath(), $"rollback-bench-{Guid.NewGuid():N}");
await using var azurite = await AzuriteProcess.StartAsync(root, data, BenchNet.FreePort(), BenchNet.FreePort(), BenchNet.FreePort(), Console.Error.WriteLine);

// One receiver stands in for PagerDuty and for the system the webhook step reverts; it notes
// when the first page and the first revert of each deploy land.
var arrivals = new ConcurrentDictionary<string, long>();
var receiverBuilder = WebApplication.CreateSlimBuilder();
receiverBuilder.Logging.ClearProviders();
receiverBuilder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
await using var receiver = receiverBuilder.Build();
receiver.MapPost("/v2/enqueue", async (HttpRequest request) =>
{
    var body = await new StreamReader(request.Body).ReadToEndAsync();
    var deployId = body.Split("\"dedup_key\":\"rb-")[1].Split('"')[0];
    arrivals.TryAdd($"page:{deployId}", Stopwatch.GetTimestamp());
    return Results.Accepted();
});
receiver.MapPost("/v2/change/enqueue", () => Results.Accepted());
receiver.MapPost("/revert/{deployId}", (string deployId) =>
{
    arrivals.TryAdd($"revert:{deployId}", Stopwatch.GetTimestamp());
    return Results.Ok();
});
await receiver.StartAsync();
var receiverUrl = BenchNet.Address(receiver.Services);

await using var runtime = await LocalRuntime.BuildAsync(
[
    "--urls", "http://127.0.0.1:0",
    $"--Rollback:Storage:ConnectionString={azurite.ConnectionString}",
    "--Rollback:Executors:Webhook:AllowedHosts:0=127.0.0.1",
    $"--Rollback:Notifications:PagerDutyEventsUrl={receiverUrl}",
    "--Rollback:Notifications:Default:PagerDutyRoutingKey=BENCHMARKROUTINGKEY0123456789ABC",
    "--Rollback:Orchestration:VerifyInterval=00:00:01",
    "--Logging:LogLevel:Default=Warning",
]);
await runtime.App.StartAsync();
using var http = new HttpClient { BaseAddress = new Uri(BenchNet.Address(runtime.App.Services)) };

Console.WriteLine("| run | idle before alert | alert reply | alert -> page | alert -> first revert | alert -> verified |");
Console.WriteLine("|---|---|---|---|---|---|");
var columns = new List<double>[3] { [], [], [] };
for (var run = 1; run <= runs; run++)
{
    var deployId = $"bench-{run}-{Guid.NewGuid():N}"[..20];
    var service = $"svc{deployId}";
    await Post("/api/deploys", $$"""
        {"deployId":"{{deployId}}","service":"{{service}}","environment":"bench","version":"2",
         "steps":[{"id":"app","kind":"webhook","params":{"revertUrl":"{{receiverUrl}}/revert/{{deployId}}"} } ]}
        """);
    await Post($"/api/deploys/{deployId}/complete", "{}");
    await Task.Delay(idle);

    var alert = $$"""
        {"version":"4","groupKey":"bench","status":"firing","receiver":"rollback","commonLabels":{},
         "alerts":[{"status":"firing","fingerprint":"f","labels":{"alertname":"Bench","service":"{{service}}","environment":"bench"},
                    "startsAt":"{{DateTimeOffset.UtcNow:O}}"}]}
        """;
    var sent = Stopwatch.GetTimestamp();
    await Post("/api/alerts/alertmanager", alert);
    var replied = Stopwatch.GetTimestamp();
    var reverted = await ArrivalAsync($"revert:{deployId}");

    // Alertmanager reports the alert resolved once the revert took effect; that verifies the rollback.
    await Post("/api/alerts/alertmanager", alert.Replace("\"firing\"", "\"resolved\"", StringComparison.Ordinal));
    while (!(await http.GetStringAsync($"/api/rollbacks/rb-{deployId}")).Contains("\"phase\":\"succeeded\"", StringComparison.Ordinal))
    {
        await Task.Delay(10);
    }

    var verified = Stopwatch.GetTimestamp();
    var paged = arrivals[$"page:{deployId}"];
    columns[0].Add(Stopwatch.GetElapsedTime(sent, paged).TotalMilliseconds);
    columns[1].Add(Stopwatch.GetElapsedTime(sent, reverted).TotalMilliseconds);
    columns[2].Add(Stopwatch.GetElapsedTime(sent, verified).TotalMilliseconds);
    Console.WriteLine($"| {run} | {idle.TotalSeconds:0} s | {Ms(sent, replied)} | {Ms(sent, paged)} | {Ms(sent, reverted)} | {Ms(sent, verified)} |");
}

string[] names = ["alert -> page", "alert -> first revert", "alert -> verified"];
for (var i = 0; i < names.Length; i++)
{
    columns[i].Sort();
    Console.WriteLine($"{names[i]}: median {columns[i][columns[i].Count / 2]:0} ms, max {columns[i][^1]:0} ms over {runs} run(s)");
}

await runtime.App.StopAsync();
Directory.Delete(data, recursive: true);
return;

async Task Post(string path, string json)
{
    using var response = await http.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));
    response.EnsureSuccessStatusCode();
}

async Task<long> ArrivalAsync(string key)
{
    var deadline = DateTime.UtcNow.AddMinutes(2);
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

static string Ms(long from, long to) => $"{Stopwatch.GetElapsedTime(from, to).TotalMilliseconds:0} ms";
