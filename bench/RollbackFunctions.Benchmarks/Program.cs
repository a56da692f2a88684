// Alert-to-first-revert latency on the local runtime after the engine has been idle.
// Usage: dotnet run -c Release --project bench/RollbackFunctions.Benchmarks -- [idleSeconds=60] [runs=3]
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using RollbackFunctions.Local;

var idle = TimeSpan.FromSeconds(args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 60);
var runs = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 3;
var root = AzuriteProcess.FindRepoRoot(AppContext.BaseDirectory) ?? throw new InvalidOperationException("run from inside the repository");
var data = Path.Combine(Path.GetTempPath(), $"rollback-bench-{Guid.NewGuid():N}");
await using var azurite = await AzuriteProcess.StartAsync(root, data, FreePort(), FreePort(), FreePort(), Console.Error.WriteLine);

// The receiver stands in for the system a webhook step reverts; it notes when each revert lands.
var firstRevert = new Dictionary<string, TaskCompletionSource<long>>();
var receiverBuilder = WebApplication.CreateSlimBuilder();
receiverBuilder.Logging.ClearProviders();
receiverBuilder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
await using var receiver = receiverBuilder.Build();
receiver.MapPost("/{deployId}", (string deployId) =>
{
    lock (firstRevert)
    {
        firstRevert[deployId].TrySetResult(Stopwatch.GetTimestamp());
    }

    return Results.Ok();
});
await receiver.StartAsync();
var receiverUrl = Address(receiver.Services);

await using var runtime = await LocalRuntime.BuildAsync(
[
    "--urls", "http://127.0.0.1:0",
    $"--Rollback:Storage:ConnectionString={azurite.ConnectionString}",
    "--Rollback:Executors:Webhook:AllowedHosts:0=127.0.0.1",
    "--Logging:LogLevel:Default=Warning",
]);
await runtime.App.StartAsync();
using var http = new HttpClient { BaseAddress = new Uri(Address(runtime.App.Services)) };

Console.WriteLine($"| run | idle before alert | alert reply | alert -> first revert | alert -> rollback succeeded |");
Console.WriteLine("|---|---|---|---|---|");
var firstRevertMs = new List<double>();
for (var run = 1; run <= runs; run++)
{
    var deployId = $"bench-{run}-{Guid.NewGuid():N}"[..20];
    lock (firstRevert)
    {
        firstRevert[deployId] = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    var service = $"svc{deployId}";
    await Post($"/api/deploys", new JsonObject
    {
        ["deployId"] = deployId, ["service"] = service, ["environment"] = "bench", ["version"] = "2",
        ["steps"] = new JsonArray(new JsonObject { ["id"] = "app", ["kind"] = "webhook", ["params"] = new JsonObject { ["revertUrl"] = $"{receiverUrl}/{deployId}" } }),
    }.ToJsonString());
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
    var reverted = await firstRevert[deployId].Task.WaitAsync(TimeSpan.FromMinutes(2));
    while (!(await http.GetStringAsync($"/api/rollbacks/rb-{deployId}")).Contains("\"phase\":\"succeeded\"", StringComparison.Ordinal))
    {
        await Task.Delay(10);
    }

    var done = Stopwatch.GetTimestamp();
    firstRevertMs.Add(Stopwatch.GetElapsedTime(sent, reverted).TotalMilliseconds);
    Console.WriteLine($"| {run} | {idle.TotalSeconds:0} s | {Ms(sent, replied)} | {Ms(sent, reverted)} | {Ms(sent, done)} |");
}

firstRevertMs.Sort();
Console.WriteLine($"\nalert -> first revert: median {firstRevertMs[firstRevertMs.Count / 2]:0} ms, max {firstRevertMs[^1]:0} ms over {runs} run(s)");
await runtime.App.StopAsync();
Directory.Delete(data, recursive: true);
return;

async Task Post(string path, string json)
{
    using var response = await http.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));
    response.EnsureSuccessStatusCode();
}

static string Ms(long from, long to) => $"{Stopwatch.GetElapsedTime(from, to).TotalMilliseconds:0} ms";

static string Address(IServiceProvider services) =>
    services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

static int FreePort()
{
    using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
    listener.Start();
    return ((IPEndPoint)listener.LocalEndpoint).Port;
}
