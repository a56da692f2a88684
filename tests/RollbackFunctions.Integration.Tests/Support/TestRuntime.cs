using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using RollbackFunctions.Local;

namespace RollbackFunctions.Integration.Tests.Support;

/// <summary>
/// The local runtime started in this process, on a free port, over the shared Azurite with its own
/// tables and task hub: the real HTTP pipeline, stores and durable engine.
/// </summary>
internal sealed class TestRuntime : IAsyncDisposable
{
    // Every reply a test gets through Http is checked against docs/openapi.json.
    private static readonly Lazy<OpenApiContract> Contract = new(OpenApiContract.FromRepository);

    private readonly LocalRuntime runtime;

    private readonly string? ownTaskHub;

    private TestRuntime(LocalRuntime runtime, HttpClient http, string tablePrefix, string? ownTaskHub)
    {
        this.runtime = runtime;
        this.ownTaskHub = ownTaskHub;
        Http = http;
        TablePrefix = tablePrefix;
    }

    public HttpClient Http { get; }

    public string TablePrefix { get; }

    public IServiceProvider Services => runtime.App.Services;

    public static async Task<TestRuntime> StartAsync(params string[] settings)
    {
        var connection = await SharedAzurite.ConnectionStringAsync();
        var prefix = Repo.UniqueName("t");
        var taskHub = Repo.UniqueName("hub");
        // A test that names the task hub shares it with another runtime; only an own one is deleted.
        var ownTaskHub = settings.Any(s => s.StartsWith("Rollback:Durable:TaskHub=", StringComparison.OrdinalIgnoreCase)) ? null : taskHub;
        string[] args =
        [
            "--urls", "http://127.0.0.1:0",
            $"--Rollback:Storage:ConnectionString={connection}",
            $"--Rollback:Storage:TablePrefix={prefix}",
            $"--Rollback:Durable:TaskHub={taskHub}",
            // One control queue instead of four: a single runtime owns every partition anyway, and
            // each one is created, polled, leased and deleted again for every runtime a test starts.
            // The tests of several processes on one task hub run the product's default.
            "--Rollback:Durable:PartitionCount=1",
            "--Rollback:Executors:Webhook:AllowedHosts:0=127.0.0.1",
            "--Rollback:Orchestration:StepFirstRetryInterval=00:00:00.200",
            "--Rollback:Orchestration:VerifyInterval=00:00:00.200",
            "--Rollback:Orchestration:VerifyWindow=00:00:30",
            "--Logging:LogLevel:Default=Warning",
            // Test classes register the same version many times on one runtime: quarantine (on in the
            // product) would make them depend on each other's order. Its own tests turn it on.
            "--Rollback:Policy:QuarantineFor=00:00:00",
            .. settings.Select(s => $"--{s}"),
        ];
        var runtime = await LocalRuntime.BuildAsync(args);
        await runtime.App.StartAsync();
        var address = runtime.App.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new TestRuntime(runtime, new HttpClient(new OpenApiContractCheck(Contract.Value)) { BaseAddress = new Uri(address), Timeout = TimeSpan.FromSeconds(60) }, prefix, ownTaskHub);
    }

    public Task<HttpResponseMessage> PostJsonAsync(string path, string json) =>
        Http.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));

    public Task<HttpResponseMessage> PostJsonAsync(string path, JsonNode json) => PostJsonAsync(path, json.ToJsonString());

    public async Task<JsonObject> GetJsonAsync(string path)
    {
        using var response = await Http.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET {path}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!.AsObject();
    }

    /// <summary>Polls the rollback until its phase is terminal, then returns it.</summary>
    public async Task<JsonObject> WaitForTerminalRollbackAsync(string rollbackId, TimeSpan timeout)
    {
        return await Eventually.ReturnsAsync(
            async () =>
            {
                using var response = await Http.GetAsync($"/api/rollbacks/{rollbackId}");
                var rollback = response.IsSuccessStatusCode ? await response.Content.ReadFromJsonAsync<JsonObject>() : null;
                return rollback?["phase"]!.GetValue<string>() is "succeeded" or "failed" or "aborted" ? rollback : null;
            },
            timeout,
            () => $"rollback {rollbackId} did not finish",
            TimeSpan.FromMilliseconds(200));
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await runtime.App.StopAsync();
        await runtime.DisposeAsync();
        if (ownTaskHub is not null)
        {
            try
            {
                await SharedAzurite.DeleteTaskHubAsync(ownTaskHub);
            }
            catch (Exception exception)
            {
                // Only housekeeping: it must not replace the test's own failure, nor skip the
                // disposals after this one.
                Console.Error.WriteLine($"task hub {ownTaskHub} not deleted: {exception.Message}");
            }
        }
    }
}
