using System.Text.Json.Nodes;
using RollbackFunctions.Core.Executors;
using RollbackFunctions.Infrastructure.Executors.Kubernetes;

namespace RollbackFunctions.Infrastructure.Tests.Executors;

public sealed class KubernetesConfigMapAndArgoTests : IAsyncLifetime
{
    private static readonly Dictionary<string, string> Before = new() { ["PAYMENTS_TIMEOUT"] = "2s", ["FEATURE_X"] = "off" };
    private static readonly Dictionary<string, string> After = new() { ["PAYMENTS_TIMEOUT"] = "200ms", ["FEATURE_X"] = "on", ["NEW_KEY"] = "1" };
    private KubernetesFixture k8s = null!;

    private static JsonObject ConfigMapParams(params string[] restart)
    {
        var p = new JsonObject { ["cluster"] = "prod", ["namespace"] = "shop", ["name"] = "checkout-config" };
        if (restart.Length > 0)
        {
            p["restart"] = new JsonArray(restart.Select(r => (JsonNode)r).ToArray());
        }

        return p;
    }

    private static JsonObject RolloutParams() => new() { ["cluster"] = "prod", ["namespace"] = "shop", ["name"] = "checkout" };

    [Fact]
    public async Task ConfigMap_Revert_RestoresTheDataFromRegistration_ThenRestartsAndWaits()
    {
        k8s.Api.SeedConfigMap("shop", "checkout-config", Before);
        k8s.Api.SeedWorkload("deployments", "shop", "checkout", 2, "registry/checkout:1.4.2");
        var prepared = await k8s.ConfigMaps.PrepareAsync(KubernetesFixture.PrepareOf("kubernetesConfigMap", ConfigMapParams("checkout")), default);
        k8s.Api.SetConfigMapData("shop", "checkout-config", After); // the deploy

        var result = await k8s.ConfigMaps.RevertAsync(KubernetesFixture.RevertOf("kubernetesConfigMap", ConfigMapParams("checkout"), prepared, rollbackId: "rb-cfg"), default);

        Assert.Equal(RevertOutcome.Reverted, result.Outcome);
        Assert.Contains("restored 2 key(s)", result.Detail);
        Assert.Contains("restarted checkout; rollout complete", result.Detail);
        var data = k8s.Api.Get("/api/v1", "shop", "configmaps", "checkout-config")!["data"]!.AsObject();
        Assert.Equal(Before, data.ToDictionary(d => d.Key, d => (string)d.Value!));
        var put = Assert.Single(k8s.Api.Writes, w => w.Method == "PUT");
        Assert.NotNull(put.Json!["metadata"]!["resourceVersion"]); // optimistic concurrency
        var restart = Assert.Single(k8s.Api.Writes, w => w.Method == "PATCH");
        Assert.StartsWith("application/strategic-merge-patch+json", restart.ContentType);
        Assert.Equal("rb-cfg", (string?)restart.Json!["spec"]!["template"]!["metadata"]!["annotations"]![KubernetesConfigMapExecutor.RestartedForAnnotation]);
    }

    [Fact]
    public async Task ConfigMap_RevertTwice_WritesAndRestartsOnce()
    {
        k8s.Api.SeedConfigMap("shop", "checkout-config", Before);
        k8s.Api.SeedWorkload("deployments", "shop", "checkout", 2, "registry/checkout:1.4.2");
        var prepared = await k8s.ConfigMaps.PrepareAsync(KubernetesFixture.PrepareOf("kubernetesConfigMap", ConfigMapParams("checkout")), default);
        k8s.Api.SetConfigMapData("shop", "checkout-config", After);

        await k8s.ConfigMaps.RevertAsync(KubernetesFixture.RevertOf("kubernetesConfigMap", ConfigMapParams("checkout"), prepared, rollbackId: "rb-cfg"), default);
        var second = await k8s.ConfigMaps.RevertAsync(KubernetesFixture.RevertOf("kubernetesConfigMap", ConfigMapParams("checkout"), prepared, rollbackId: "rb-cfg"), default);

        Assert.Equal(RevertOutcome.Reverted, second.Outcome);
        Assert.Contains("already holds the 2 key(s)", second.Detail);
        Assert.Equal(2, k8s.Api.Writes.Count());
    }

    /// <summary>A 409 is someone else's write since the read: re-reading and writing again would overwrite it; the revert is judged again instead.</summary>
    [Fact]
    public async Task ConfigMap_ConflictOnReplace_IsNotWrittenOver_ItIsThrownToBeJudgedAgain()
    {
        k8s.Api.SeedConfigMap("shop", "checkout-config", Before);
        var prepared = await k8s.ConfigMaps.PrepareAsync(KubernetesFixture.PrepareOf("kubernetesConfigMap", ConfigMapParams()), default);
        k8s.Api.SetConfigMapData("shop", "checkout-config", After);
        k8s.Api.Faults["PUT /configmaps/checkout-config"] = new([409]);

        await Assert.ThrowsAsync<TargetChangedException>(() => k8s.ConfigMaps.RevertAsync(KubernetesFixture.RevertOf("kubernetesConfigMap", ConfigMapParams(), prepared), default));

        Assert.Single(k8s.Api.Writes);
    }

    [Theory]
    [InlineData("""{"cluster":"prod","namespace":"shop","name":"checkout-config","restart":["Checkout"]}""", "params.restart")]
    [InlineData("""{"cluster":"prod","namespace":"shop","name":"checkout-config","restart":"checkout"}""", "params.restart")]
    [InlineData("""{"cluster":"prod","namespace":"shop"}""", "params.name is required")]
    public void ConfigMap_ValidateParams_NamesTheField(string parameters, string named) =>
        Assert.Contains(named, k8s.ConfigMaps.ValidateParams(JsonNode.Parse(parameters)!.AsObject()));

    [Fact]
    public async Task Argo_Revert_AbortsFirst_ThenRestoresTheTemplate_AndWaitsForHealthy()
    {
        k8s.Api.SeedRollout("shop", "checkout", "registry/checkout:1.4.2");
        var prepared = await k8s.Rollouts.PrepareAsync(KubernetesFixture.PrepareOf("argoRollout", RolloutParams()), default);
        k8s.Api.StartCanary("shop", "checkout", "registry/checkout:1.4.3");

        var result = await k8s.Rollouts.RevertAsync(KubernetesFixture.RevertOf("argoRollout", RolloutParams(), prepared), default);

        Assert.Equal(RevertOutcome.Reverted, result.Outcome);
        Assert.Contains("aborted (traffic to stable)", result.Detail);
        Assert.Contains("Rollout is Healthy", result.Detail);
        var writes = k8s.Api.Writes.ToList();
        Assert.Equal(2, writes.Count);
        Assert.Equal("/apis/argoproj.io/v1alpha1/namespaces/shop/rollouts/checkout/status", writes[0].Path);
        Assert.StartsWith("application/merge-patch+json", writes[0].ContentType);
        Assert.True((bool)writes[0].Json!["status"]!["abort"]!);
        Assert.Equal("/apis/argoproj.io/v1alpha1/namespaces/shop/rollouts/checkout", writes[1].Path);
        var rollout = k8s.Api.Get("/apis/argoproj.io/v1alpha1", "shop", "rollouts", "checkout")!;
        Assert.Equal("registry/checkout:1.4.2", (string)rollout["spec"]!["template"]!["spec"]!["containers"]![0]!["image"]!);
    }

    [Fact]
    public async Task Argo_AlreadyHealthyOnTheCapturedTemplate_ChangesNothing()
    {
        k8s.Api.SeedRollout("shop", "checkout", "registry/checkout:1.4.2");
        var prepared = await k8s.Rollouts.PrepareAsync(KubernetesFixture.PrepareOf("argoRollout", RolloutParams()), default);

        var result = await k8s.Rollouts.RevertAsync(KubernetesFixture.RevertOf("argoRollout", RolloutParams(), prepared), default);

        Assert.Equal(RevertOutcome.Reverted, result.Outcome);
        Assert.Contains("already Healthy", result.Detail);
        Assert.Empty(k8s.Api.Writes);
    }

    /// <summary>Issue 19: the restore sent as a server-side dry run; the stand-in records dryRun=All and stores nothing.</summary>
    [Fact]
    public async Task ConfigMap_Rehearse_SendsTheRestoreAsADryRun_AndChangesNothing()
    {
        k8s.Api.SeedConfigMap("shop", "checkout-config", Before);
        k8s.Api.SeedWorkload("deployments", "shop", "checkout", 2, "registry/checkout:1.4.2");
        var prepared = await k8s.ConfigMaps.PrepareAsync(KubernetesFixture.PrepareOf("kubernetesConfigMap", ConfigMapParams("checkout")), default);
        k8s.Api.SetConfigMapData("shop", "checkout-config", After);
        var stored = k8s.Api.Get("/api/v1", "shop", "configmaps", "checkout-config")!.ToJsonString();

        var rehearsal = await k8s.ConfigMaps.RehearseAsync(KubernetesFixture.RevertOf("kubernetesConfigMap", ConfigMapParams("checkout"), prepared), default);

        Assert.Equal(Core.Deploys.RehearsalOutcome.Ok, rehearsal.Outcome);
        Assert.Contains("accepts restoring the 2 key(s)", rehearsal.Detail);
        Assert.DoesNotContain("2s", rehearsal.Detail); // values stay out of details
        var patch = Assert.Single(k8s.Api.Writes);
        Assert.Equal(("PATCH", "/api/v1/namespaces/shop/configmaps/checkout-config?dryRun=All"), (patch.Method, patch.Path));
        Assert.Equal("2s", (string?)patch.Json![0]!["value"]!["PAYMENTS_TIMEOUT"]);
        Assert.Equal(stored, k8s.Api.Get("/api/v1", "shop", "configmaps", "checkout-config")!.ToJsonString());
    }

    [Fact]
    public async Task ConfigMap_Rehearse_RestartTargetMissing_Fails()
    {
        k8s.Api.SeedConfigMap("shop", "checkout-config", Before);
        var prepared = await k8s.ConfigMaps.PrepareAsync(KubernetesFixture.PrepareOf("kubernetesConfigMap", ConfigMapParams("checkout")), default);

        var rehearsal = await k8s.ConfigMaps.RehearseAsync(KubernetesFixture.RevertOf("kubernetesConfigMap", ConfigMapParams("checkout"), prepared), default);

        Assert.Equal(Core.Deploys.RehearsalOutcome.Fails, rehearsal.Outcome);
        Assert.Contains("Deployment shop/checkout", rehearsal.Detail);
        Assert.Empty(k8s.Api.Writes);
    }

    [Fact]
    public async Task Argo_Rehearse_SendsTheTemplateAsADryRun_NoAbort_AndChangesNothing()
    {
        k8s.Api.SeedRollout("shop", "checkout", "registry/checkout:1.4.2");
        var prepared = await k8s.Rollouts.PrepareAsync(KubernetesFixture.PrepareOf("argoRollout", RolloutParams()), default);
        k8s.Api.StartCanary("shop", "checkout", "registry/checkout:1.4.3");
        var stored = k8s.Api.Get("/apis/argoproj.io/v1alpha1", "shop", "rollouts", "checkout")!;

        var rehearsal = await k8s.Rollouts.RehearseAsync(KubernetesFixture.RevertOf("argoRollout", RolloutParams(), prepared), default);

        Assert.Equal(Core.Deploys.RehearsalOutcome.Ok, rehearsal.Outcome);
        Assert.Contains("registry/checkout:1.4.2", rehearsal.Detail);
        var patch = Assert.Single(k8s.Api.Writes);
        Assert.Equal(("PATCH", "/apis/argoproj.io/v1alpha1/namespaces/shop/rollouts/checkout?dryRun=All"), (patch.Method, patch.Path));
        var after = k8s.Api.Get("/apis/argoproj.io/v1alpha1", "shop", "rollouts", "checkout")!;
        Assert.Equal(stored["spec"]!.ToJsonString(), after["spec"]!.ToJsonString());
        Assert.Equal(stored["metadata"]!["resourceVersion"]!.ToJsonString(), after["metadata"]!["resourceVersion"]!.ToJsonString());
    }

    public async Task InitializeAsync() => k8s = await KubernetesFixture.StartAsync();

    public async Task DisposeAsync() => await k8s.DisposeAsync();
}
