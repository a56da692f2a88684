using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;
using RollbackFunctions.Local;

/// <summary>
/// What every benchmark mode runs on: its own Azurite (npm), a receiver standing in for PagerDuty
/// and for the systems webhook steps revert (it notes when each page and revert lands), and the
/// local runtime in this process.
/// </summary>
internal sealed class BenchRuntime : IAsyncDisposable
{
    private readonly AzuriteProcess azurite;
    private readonly CountingRelay? tables;
    private readonly WebApplication receiver;
    private readonly string data;

    /// <summary>When the first page or revert of a key landed ("page:{deployId}", "revert:{key}"), as Stopwatch timestamps.</summary>
    private readonly ConcurrentDictionary<string, long> arrivals;

    private BenchRuntime(AzuriteProcess azurite, CountingRelay? tables, WebApplication receiver, ConcurrentDictionary<string, long> arrivals, LocalRuntime runtime, string data, string connectionString)
    {
        this.azurite = azurite;
        this.tables = tables;
        ConnectionString = connectionString;
        this.arrivals = arrivals;
        this.receiver = receiver;
        this.data = data;
        Runtime = runtime;
        ReceiverUrl = BenchNet.Address(receiver.Services);
        Http = new HttpClient { BaseAddress = new Uri(BenchNet.Address(runtime.App.Services)) };
    }

    public LocalRuntime Runtime { get; }

    public HttpClient Http { get; }

    public string ReceiverUrl { get; }

    /// <summary>The storage the runtime uses (table requests through the counting relay, when there is one).</summary>
    public string ConnectionString { get; }

    /// <summary>Table requests made so far by everything on <see cref="ConnectionString"/>, when counted.</summary>
    public long TableRequests => tables?.Requests ?? 0;

    /// <param name="countTableRequests">Puts a <see cref="CountingRelay"/> in front of the table service.</param>
    public static async Task<BenchRuntime> StartAsync(IEnumerable<string> settings, bool countTableRequests = false)
    {
        var root = AzuriteProcess.FindRepoRoot(AppContext.BaseDirectory) ?? throw new InvalidOperationException("run from inside the repository");
        var data = Path.Combine(Path.GetTempPath(), $"rollback-bench-{Guid.NewGuid():N}");
        var (blob, queue, table) = (BenchNet.FreePort(), BenchNet.FreePort(), BenchNet.FreePort());
        var azurite = await AzuriteProcess.StartAsync(root, data, blob, queue, table, Console.Error.WriteLine);
        var tables = countTableRequests ? new CountingRelay(table) : null;
        var connectionString = tables is null ? azurite.ConnectionString : AzuriteProcess.ConnectionStringFor(blob, queue, tables.Port);

        var arrivals = new ConcurrentDictionary<string, long>();
        var receiverBuilder = WebApplication.CreateSlimBuilder();
        receiverBuilder.Logging.ClearProviders();
        receiverBuilder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var receiver = receiverBuilder.Build();
        receiver.MapPost("/v2/enqueue", async (HttpRequest request) =>
        {
            var body = await new StreamReader(request.Body).ReadToEndAsync();
            var deployId = body.Split("\"dedup_key\":\"rb-")[1].Split('"')[0];
            arrivals.TryAdd($"page:{deployId}", Stopwatch.GetTimestamp());
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

        var runtime = await LocalRuntime.BuildAsync(
        [
            "--urls", "http://127.0.0.1:0",
            $"--Rollback:Storage:ConnectionString={connectionString}",
            "--Rollback:Executors:Webhook:AllowedHosts:0=127.0.0.1",
            $"--Rollback:Notifications:PagerDutyEventsUrl={receiverUrl}",
            "--Rollback:Notifications:Default:PagerDutyRoutingKey=BENCHMARKROUTINGKEY0123456789ABC",
            "--Rollback:Orchestration:VerifyInterval=00:00:01",
            // Every run fires a new service in one environment: past 5 in 5 minutes the mass-alert
            // guard would (rightly) hold every revert for approval. Guardrails are not measured here.
            "--Rollback:Policy:MassAlertServices=100000",
            "--Rollback:Policy:MaxAutomaticRollbacks=100000",
            "--Logging:LogLevel:Default=Warning",
            .. settings.Select(s => $"--{s}"),
        ]);
        await runtime.App.StartAsync();
        return new BenchRuntime(azurite, tables, receiver, arrivals, runtime, data, connectionString);
    }

    public async Task<long> ArrivalAsync(string key, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromMinutes(2));
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

    public async Task PostAsync(string path, string json)
    {
        using var response = await Http.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"POST {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Runtime.App.StopAsync();
        await Runtime.DisposeAsync();
        await receiver.DisposeAsync();
        if (tables is not null)
        {
            await tables.DisposeAsync();
        }

        await azurite.StopAsync(keepData: false);
        Directory.Delete(data, recursive: true);
    }
}
