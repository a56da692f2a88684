using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using RollbackFunctions.Core.Deploys;

namespace RollbackFunctions.Integration.Tests.EndToEnd;

/// <summary>A watcher survives the death of the process running it: the next process resumes it from storage.</summary>
public sealed class WatcherRestartTests
{
    [SkippableFact]
    public async Task RuntimeKilledWhileWatching_NextRuntimeResumesTheWatcher_AndActsOnTheBreach()
    {
        var connection = await SharedAzurite.ConnectionStringAsync();
        await using var prometheus = await PrometheusProcess.StartAsync(initialErrorRatio: 0.0, service: "resumed");
        await using var receiver = await LocalReceiver.StartAsync();
        string[] settings =
        [
            $"Rollback:Storage:ConnectionString={connection}",
            $"Rollback:Storage:TablePrefix={Repo.UniqueName("w")}",
            $"Rollback:Durable:TaskHub={Repo.UniqueName("hub")}",
            // One control queue, as for the in-process runtimes (TestRuntime): resuming needs one partition.
            "Rollback:Durable:PartitionCount=1",
            // Short, so the dead process's partitions are taken over within seconds (as in CrashLoopTests).
            "Rollback:Durable:VisibilityTimeout=00:00:03",
            "Rollback:Executors:Webhook:AllowedHosts:0=127.0.0.1",
            $"Rollback:Prometheus:BaseUrl={prometheus.BaseUrl}",
            "Logging:LogLevel:Default=Warning",
        ];
        await prometheus.WaitForValueAsync(0.0, TimeSpan.FromSeconds(30));
        var id = $"resumed-{Guid.NewGuid():N}"[..30];
        var deploy = Payloads.DiamondDeploy(id, receiver, "resumed");
        deploy["steps"] = new JsonArray(Payloads.Step("rollout", receiver));
        deploy["conditions"] = new JsonObject
        {
            ["checks"] = new JsonArray(new JsonObject { ["name"] = "errors", ["query"] = "max(checkout_error_ratio{service=\"resumed\"})", ["unhealthyAbove"] = 0.05, ["failureLimit"] = 1 }),
            ["watchInterval"] = "00:00:02",
        };

        var first = await RuntimeProcess.StartAsync(settings);
        using var http = new HttpClient();
        await PostAsync(http, $"{first.BaseUrl}/api/deploys", deploy.ToJsonString());
        await PostAsync(http, $"{first.BaseUrl}/api/deploys/{id}/complete", "{}");
        await Eventually.HoldsAsync(
            async () => (await http.GetFromJsonAsync<JsonObject>($"{first.BaseUrl}/api/deploys/{id}"))!["watch"]?["state"]?.GetValue<string>() == "watching",
            TimeSpan.FromSeconds(30), () => $"the watcher never sampled\n{first.Output}");
        first.Crash();
        await first.DisposeAsync();

        await using var second = await RuntimeProcess.StartAsync(settings);
        prometheus.ErrorRatio = 0.4;
        await receiver.WaitForAsync(r => r.Any(x => x.Path == "rollout"), TimeSpan.FromMinutes(2), "the revert started by the resumed watcher");

        var rollback = await http.GetFromJsonAsync<JsonObject>($"{second.BaseUrl}/api/rollbacks/{Identifiers.RollbackIdFor(id)}");
        Assert.Equal("watcher", (string?)rollback!["trigger"]!["kind"]);
    }

    private static async Task PostAsync(HttpClient http, string url, string json)
    {
        using var response = await http.PostAsync(url, new StringContent(json, Encoding.UTF8, "application/json"));
        Assert.True(response.IsSuccessStatusCode, $"POST {url}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }
}
