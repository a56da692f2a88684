using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using RollbackFunctions.Core.Deploys;

namespace RollbackFunctions.Integration.Tests.EndToEnd;

/// <summary>A rollback in progress survives the death of the process running it.</summary>
public sealed class RestartTests
{
    [SkippableFact]
    public async Task RuntimeKilledMidRollback_NextRuntimeFinishesIt()
    {
        var connection = await SharedAzurite.ConnectionStringAsync();
        await using var receiver = await LocalReceiver.StartAsync();
        receiver.Delays["config"] = TimeSpan.FromSeconds(3);
        string[] settings =
        [
            $"Rollback:Storage:ConnectionString={connection}",
            $"Rollback:Storage:TablePrefix={Repo.UniqueName("r")}",
            $"Rollback:Durable:TaskHub={Repo.UniqueName("hub")}",
            // A message taken by the dead process reappears after this long.
            "Rollback:Durable:VisibilityTimeout=00:00:10",
            "Rollback:Executors:Webhook:AllowedHosts:0=127.0.0.1",
            "Rollback:Orchestration:VerifyInterval=00:00:00.500",
            "Logging:LogLevel:Default=Warning",
        ];
        var id = $"restart-{Guid.NewGuid():N}";

        var first = await RuntimeProcess.StartAsync(settings);
        using var http = new HttpClient();
        await PostAsync(http, $"{first.BaseUrl}/api/deploys", Payloads.DiamondDeploy(id, receiver, service: "restart-e2e").ToJsonString());
        await PostAsync(http, $"{first.BaseUrl}/api/deploys/{id}/complete", "{}");
        var firing = Payloads.AlertmanagerFiring("restart-e2e", "prod");
        await PostAsync(http, $"{first.BaseUrl}/api/alerts/alertmanager", firing.ToJsonString());
        await receiver.WaitForAsync(r => r.Any(x => x.Path == "config"), TimeSpan.FromSeconds(60), "the slow config revert to start");
        first.Crash();
        await first.DisposeAsync();
        var phaseAtCrash = await PhaseInStorageAsync(settings, id);

        await using var second = await RuntimeProcess.StartAsync(settings);
        await receiver.WaitForAsync(r => r.Any(x => x.Path == "schema"), TimeSpan.FromMinutes(3), "the last revert after the restart");
        await PostAsync(http, $"{second.BaseUrl}/api/alerts/alertmanager", Payloads.Resolved(firing).ToJsonString());
        var rollback = await WaitForTerminalAsync(http, second.BaseUrl, Identifiers.RollbackIdFor(id), TimeSpan.FromMinutes(3), second);

        Assert.Equal("rollingBack", phaseAtCrash);
        Assert.Equal("succeeded", rollback["phase"]!.GetValue<string>());
        var received = receiver.Received.ToList();
        Assert.True(received.Count(r => r.Path == "config") >= 2, "the interrupted revert runs again after the restart");
        Assert.Single(received.Select(r => r.IdempotencyKey).Where(k => k.EndsWith(":config", StringComparison.Ordinal)).Distinct());
        Assert.Equal("schema", received[^1].Path);
        Assert.Single(received, r => r.Path == "schema");
    }

    private static async Task PostAsync(HttpClient http, string url, string json)
    {
        using var response = await http.PostAsync(url, new StringContent(json, Encoding.UTF8, "application/json"));
        Assert.True(response.IsSuccessStatusCode, $"POST {url}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>The phase as stored, read by a second runtime process would be overkill: a direct read suffices.</summary>
    private static async Task<string> PhaseInStorageAsync(string[] settings, string id)
    {
        var store = new RollbackFunctions.Infrastructure.Storage.TableRollbackStore(new RollbackFunctions.Infrastructure.Storage.StorageTables(
            Microsoft.Extensions.Options.Options.Create(new RollbackFunctions.Infrastructure.Storage.StorageOptions
            {
                ConnectionString = settings[0].Split('=', 2)[1],
                TablePrefix = settings[1].Split('=', 2)[1],
            })));
        var head = await store.GetAsync(Identifiers.RollbackIdFor(id), default);
        return System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(head!.Phase.ToString());
    }

    private static async Task<JsonObject> WaitForTerminalAsync(HttpClient http, string baseUrl, string rollbackId, TimeSpan timeout, RuntimeProcess runtime)
    {
        var phase = "";
        return await Eventually.ReturnsAsync(
            async () =>
            {
                var rollback = await http.GetFromJsonAsync<JsonObject>($"{baseUrl}/api/rollbacks/{rollbackId}");
                phase = rollback!["phase"]!.GetValue<string>();
                return phase is "succeeded" or "failed" ? rollback : null;
            },
            timeout,
            () => $"rollback did not finish after the restart; phase {phase}\n{runtime.Output}",
            TimeSpan.FromMilliseconds(500));
    }
}
