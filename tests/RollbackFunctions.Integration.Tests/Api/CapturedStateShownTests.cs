using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using RollbackFunctions.Core.Deploys;

namespace RollbackFunctions.Integration.Tests.Api;

/// <summary>
/// SAFETY.md 10 on the local runtime: a ConfigMap value and a literal <c>env</c> value captured at
/// registration are stored whole (the revert puts them back) but reach no reader: not the
/// registration reply, the deploy, the lists, the rollback, its audit trail, its report or the ops page.
/// </summary>
public sealed class CapturedStateShownTests
{
    private const string ConfigMapSecret = "postgres://owner:cm-s3cret-4a7f@db.internal/orders";
    private const string EnvSecret = "env-s3cret-token-91c2";

    [SkippableFact]
    public async Task Reader_NeverSeesAConfigMapValueNorAnEnvLiteral_WhileTheRevertRestoresThem()
    {
        await using var kubernetes = await FakeKubernetesApi.StartAsync();
        var kubeconfig = kubernetes.WriteKubeconfig(Path.Combine(Path.GetTempPath(), $"kubeconfig-{Guid.NewGuid():N}"));
        kubernetes.SeedConfigMap("shop", "checkout-config", new Dictionary<string, string> { ["DATABASE_URL"] = ConfigMapSecret });
        kubernetes.SeedWorkload("deployments", "shop", "checkout", 2, "registry/checkout:1.4.1");
        kubernetes.SetEnv("deployments", "shop", "checkout", new Dictionary<string, string> { ["API_TOKEN"] = EnvSecret });
        await using var runtime = await TestRuntime.StartAsync(
        [
            $"Rollback:Executors:Kubernetes:Clusters:prod:Kubeconfig={kubeconfig}",
            "Rollback:Executors:Kubernetes:PollInterval=00:00:00.050",
            .. AccessApiTests.KeySettings,
        ]);
        var id = Repo.UniqueName("secret");

        using var registered = await SendAsync(runtime, "POST", "/api/deploys", AccessApiTests.CiSecret, Registration(id));
        var reply = await registered.Content.ReadAsStringAsync();
        Assert.True(registered.StatusCode == HttpStatusCode.Created, reply);

        // The deploy: a new value and a new image, then a rollback by hand.
        kubernetes.SetConfigMapData("shop", "checkout-config", new Dictionary<string, string> { ["DATABASE_URL"] = "postgres://new" });
        kubernetes.SetImage("deployments", "shop", "checkout", "registry/checkout:1.4.2");
        using var completed = await SendAsync(runtime, "POST", $"/api/deploys/{id}/complete", AccessApiTests.CiSecret);
        Assert.Equal(HttpStatusCode.OK, completed.StatusCode);
        using var started = await SendAsync(runtime, "POST", $"/api/deploys/{id}/rollback", AccessApiTests.OncallSecret, """{"reason":"secrets test"}""");
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var rollbackId = Identifiers.RollbackIdFor(id);
        var rollback = await Eventually.ReturnsAsync(
            async () =>
            {
                var (status, text) = await ReadAsync(runtime, $"/api/rollbacks/{rollbackId}");
                return status == HttpStatusCode.OK && JsonNode.Parse(text)!["phase"]!.GetValue<string>() is "succeeded" or "failed" ? text : null;
            },
            TimeSpan.FromSeconds(60),
            () => $"rollback {rollbackId} did not end",
            TimeSpan.FromMilliseconds(200));

        // Stored whole: the revert put the captured value back.
        Assert.Equal(ConfigMapSecret, kubernetes.Get("/api/v1", "shop", "configmaps", "checkout-config")!["data"]!["DATABASE_URL"]!.GetValue<string>());
        Assert.Contains("succeeded", rollback, StringComparison.Ordinal);

        var seen = new Dictionary<string, string> { ["registration reply"] = reply, ["rollback"] = rollback };
        foreach (var path in new[] { $"/api/deploys/{id}", "/api/deploys?state=all", "/api/rollbacks?state=all", $"/api/rollbacks/{rollbackId}/audit", $"/api/rollbacks/{rollbackId}/report", "/api/ui" })
        {
            var (status, text) = await ReadAsync(runtime, path);
            Assert.True(status == HttpStatusCode.OK, $"{path}: {(int)status} {text}");
            seen[path] = text;
        }

        foreach (var (where, text) in seen)
        {
            Assert.False(text.Contains("cm-s3cret", StringComparison.Ordinal), $"{where} shows the ConfigMap value: {text}");
            Assert.False(text.Contains(EnvSecret, StringComparison.Ordinal), $"{where} shows the env literal: {text}");
        }

        // What a reader does see: names, digests, images and revisions.
        var deploy = JsonNode.Parse(seen[$"/api/deploys/{id}"])!;
        var config = deploy["steps"]![0]!["captured"]!;
        var rollout = deploy["steps"]![1]!["captured"]!;
        Assert.Equal("DATABASE_URL", config["data"]!["keys"]![0]!.GetValue<string>());
        Assert.StartsWith("sha256:", config["data"]!["digest"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("registry/checkout:1.4.1", rollout["template"]!["containers"]![0]!["image"]!.GetValue<string>());
        Assert.Equal("API_TOKEN", rollout["template"]!["containers"]![0]!["env"]![0]!.GetValue<string>());
        Assert.Contains("step.started", seen[$"/api/rollbacks/{rollbackId}/audit"], StringComparison.Ordinal);
    }

    private static string Registration(string id) => new JsonObject
    {
        ["deployId"] = id,
        ["service"] = "checkout",
        ["environment"] = "prod",
        ["version"] = "1.4.2",
        ["steps"] = new JsonArray(
            new JsonObject
            {
                ["id"] = "config",
                ["kind"] = "kubernetesConfigMap",
                ["params"] = new JsonObject { ["cluster"] = "prod", ["namespace"] = "shop", ["name"] = "checkout-config" },
            },
            new JsonObject
            {
                ["id"] = "rollout",
                ["kind"] = "kubernetesDeployment",
                ["dependsOn"] = new JsonArray("config"),
                ["params"] = new JsonObject { ["cluster"] = "prod", ["namespace"] = "shop", ["name"] = "checkout" },
            }),
    }.ToJsonString();

    private static async Task<(HttpStatusCode Status, string Text)> ReadAsync(TestRuntime runtime, string path)
    {
        using var reply = await SendAsync(runtime, "GET", path, AccessApiTests.ReaderSecret);
        return (reply.StatusCode, await reply.Content.ReadAsStringAsync());
    }

    private static async Task<HttpResponseMessage> SendAsync(TestRuntime runtime, string method, string path, string secret, string body = "{}")
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", secret);
        if (method == "POST")
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        return await runtime.Http.SendAsync(request);
    }
}
