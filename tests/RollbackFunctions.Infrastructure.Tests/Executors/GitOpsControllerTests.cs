using System.Text.Json.Nodes;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Infrastructure.Executors.Kubernetes;

namespace RollbackFunctions.Infrastructure.Tests.Executors;

/// <summary>Holding and resuming Argo CD and Flux objects on the fake Kubernetes API server, with the real client.</summary>
public sealed class GitOpsControllerTests : IAsyncLifetime
{
    private const string ArgoPrefix = "/apis/argoproj.io/v1alpha1";
    private KubernetesFixture k8s = null!;

    public async Task InitializeAsync() => k8s = await KubernetesFixture.StartAsync();

    public async Task DisposeAsync() => await k8s.DisposeAsync();

    [Fact]
    public async Task ArgoCd_HoldTurnsAutomatedSyncOff_RepeatingKeepsTheOriginal_ResumeRestoresIt()
    {
        var automated = new JsonObject { ["prune"] = true, ["selfHeal"] = true };
        k8s.Api.SeedCustomObject(ArgoPrefix, "applications", "Application", "argocd", "payments-api", new JsonObject
        {
            ["project"] = "default",
            ["syncPolicy"] = new JsonObject { ["automated"] = automated.DeepClone(), ["syncOptions"] = new JsonArray("CreateNamespace=true") },
        });
        var target = new GitOpsTarget("argocd", "prod", "argocd", "payments-api");

        var held = await k8s.GitOps.HoldAsync(target, default);
        var patch = k8s.Api.Writes.Last();
        var again = await k8s.GitOps.HoldAsync(target, default);
        var whileHeld = k8s.Api.Get(ArgoPrefix, "argocd", "applications", "payments-api")!;
        var resumed = await k8s.GitOps.ResumeAsync(target, default);
        var after = k8s.Api.Get(ArgoPrefix, "argocd", "applications", "payments-api")!;

        Assert.True(held.Done, held.Detail);
        Assert.Equal("PATCH", patch.Method);
        Assert.Equal("application/merge-patch+json", patch.ContentType.Split(';')[0]);
        Assert.Equal("/apis/argoproj.io/v1alpha1/namespaces/argocd/applications/payments-api", patch.Path);
        Assert.Null(patch.Json!["spec"]!["syncPolicy"]!["automated"]);
        Assert.True(again.Done);
        Assert.Contains("already held", again.Detail);
        Assert.Null(whileHeld["spec"]!["syncPolicy"]!["automated"]);
        Assert.Equal("CreateNamespace=true", whileHeld["spec"]!["syncPolicy"]!["syncOptions"]![0]!.GetValue<string>());
        Assert.True(resumed.Done, resumed.Detail);
        Assert.True(JsonNode.DeepEquals(automated, after["spec"]!["syncPolicy"]!["automated"]));
        Assert.Null(after["metadata"]!["annotations"]?[KubernetesGitOpsControllers.HeldAnnotation]);
    }

    [Theory]
    [InlineData("Kustomization", "/apis/kustomize.toolkit.fluxcd.io/v1", "kustomizations")]
    [InlineData("HelmRelease", "/apis/helm.toolkit.fluxcd.io/v2", "helmreleases")]
    public async Task Flux_HoldSuspends_ResumeRestoresWhatWasThere(string kind, string prefix, string plural)
    {
        k8s.Api.SeedCustomObject(prefix, plural, kind, "flux-system", "payments", new JsonObject { ["interval"] = "5m" });
        var target = new GitOpsTarget("flux", "prod", "flux-system", "payments", kind);

        var held = await k8s.GitOps.HoldAsync(target, default);
        var suspended = k8s.Api.Get(prefix, "flux-system", plural, "payments")!["spec"]!["suspend"]!.GetValue<bool>();
        await k8s.GitOps.ResumeAsync(target, default);

        Assert.True(held.Done, held.Detail);
        Assert.True(suspended);
        Assert.False(k8s.Api.Get(prefix, "flux-system", plural, "payments")!["spec"]!["suspend"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Hold_MissingObjectOrUnknownCluster_IsAFailedOutcome_NotAnException()
    {
        var missing = await k8s.GitOps.HoldAsync(new GitOpsTarget("argocd", "prod", "argocd", "ghost"), default);
        var elsewhere = await k8s.GitOps.HoldAsync(new GitOpsTarget("argocd", "staging", "argocd", "ghost"), default);

        Assert.False(missing.Done);
        Assert.Contains("not found", missing.Detail);
        Assert.False(elsewhere.Done);
    }
}
