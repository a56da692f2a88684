using System.Text.Json.Nodes;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Ports;
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

        var held = await k8s.GitOps.HoldAsync(target, "rb-1", default);
        var patch = k8s.Api.Writes.Last();
        var again = await k8s.GitOps.HoldAsync(target, "rb-1", default);
        var whileHeld = k8s.Api.Get(ArgoPrefix, "argocd", "applications", "payments-api")!;
        var resumed = await k8s.GitOps.ResumeAsync(target, "rb-1", default);
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

        var held = await k8s.GitOps.HoldAsync(target, "rb-1", default);
        var suspended = k8s.Api.Get(prefix, "flux-system", plural, "payments")!["spec"]!["suspend"]!.GetValue<bool>();
        await k8s.GitOps.ResumeAsync(target, "rb-1", default);

        Assert.True(held.Done, held.Detail);
        Assert.True(suspended);
        Assert.False(k8s.Api.Get(prefix, "flux-system", plural, "payments")!["spec"]!["suspend"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Hold_MissingObjectOrUnknownCluster_IsAFailedOutcome_NotAnException()
    {
        var missing = await k8s.GitOps.HoldAsync(new GitOpsTarget("argocd", "prod", "argocd", "ghost"), "rb-1", default);
        var elsewhere = await k8s.GitOps.HoldAsync(new GitOpsTarget("argocd", "staging", "argocd", "ghost"), "rb-1", default);

        Assert.False(missing.Done);
        Assert.Contains("not found", missing.Detail);
        Assert.False(elsewhere.Done);
    }

    private void SeedAutoSyncing() => k8s.Api.SeedApplication("argocd", "payments-api", "4f1c2a9e0b7d", automated: true);

    private JsonObject Application() => k8s.Api.Get(ArgoPrefix, "argocd", "applications", "payments-api")!;

    private static readonly GitOpsTarget PaymentsApi = new("argocd", "prod", "argocd", "payments-api");

    [Fact]
    public async Task Resume_ByAnOlderRollback_ReleasesOnlyItsOwnHold_TheNewerOneStaysHeld()
    {
        SeedAutoSyncing();
        await k8s.GitOps.HoldAsync(PaymentsApi, "rb-old", default);
        await k8s.GitOps.HoldAsync(PaymentsApi, "rb-new", default);

        var old = await k8s.GitOps.ResumeAsync(PaymentsApi, "rb-old", default);
        var afterOld = Application();
        var newer = await k8s.GitOps.ResumeAsync(PaymentsApi, "rb-new", default);

        Assert.Contains("rb-new", old.Detail);
        Assert.Null(afterOld["spec"]!["syncPolicy"]!["automated"]);
        Assert.Contains("rb-new", (string?)afterOld["metadata"]!["annotations"]![KubernetesGitOpsControllers.HeldAnnotation]);
        Assert.DoesNotContain("rb-old", (string?)afterOld["metadata"]!["annotations"]![KubernetesGitOpsControllers.HeldAnnotation]);
        Assert.True(newer.Done, newer.Detail);
        Assert.True((bool)Application()["spec"]!["syncPolicy"]!["automated"]!["selfHeal"]!);
    }

    [Fact]
    public async Task Hold_UndoneByAParentApplication_IsAppliedAgain_KeepingTheOriginal_AndSaysSo()
    {
        SeedAutoSyncing();
        var first = await k8s.GitOps.HoldAsync(PaymentsApi, "rb-1", default);
        var recorded = (string?)Application()["metadata"]!["annotations"]![KubernetesGitOpsControllers.HeldAnnotation];
        k8s.Api.EnableAutoSync("argocd", "payments-api"); // the parent app's self-heal re-applies the child's manifest

        var again = await k8s.GitOps.HoldAsync(PaymentsApi, "rb-1", default);

        Assert.True(first.Done && !first.Reheld, first.Detail);
        Assert.True(again.Done, again.Detail);
        Assert.True(again.Reheld);
        Assert.Null(Application()["spec"]!["syncPolicy"]!["automated"]);
        Assert.Equal(recorded, (string?)Application()["metadata"]!["annotations"]![KubernetesGitOpsControllers.HeldAnnotation]);
    }

    [Fact]
    public async Task Hold_RepeatedWhileItSticks_WritesNothing()
    {
        SeedAutoSyncing();
        await k8s.GitOps.HoldAsync(PaymentsApi, "rb-1", default);
        var writes = k8s.Api.Writes.Count();

        var again = await k8s.GitOps.HoldAsync(PaymentsApi, "rb-1", default);

        Assert.True(again.Done && !again.Reheld, again.Detail);
        Assert.Equal(writes, k8s.Api.Writes.Count());
    }

    [Fact]
    public async Task Hold_ApplicationSetTurnsAutoSyncStraightBackOn_IsAFailedHold()
    {
        SeedAutoSyncing();
        k8s.Api.GeneratedByApplicationSet["payments-api"] = true;

        var held = await k8s.GitOps.HoldAsync(PaymentsApi, "rb-1", default);

        Assert.False(held.Done);
        Assert.Contains("ApplicationSet", held.Detail);
    }

    [Fact]
    public void Validate_UnconfiguredClusterOrManagedCluster_NamesTheConfiguredOnes()
    {
        var problems = ((IGitOpsControllers)k8s.GitOps).Validate(PaymentsApi with { Cluster = "mgmt", Manages = ["prod", "mars"] });

        Assert.Contains("'mgmt' is not a configured cluster; configured: prod", problems["cluster"]);
        Assert.Contains("'mars'", problems["manages"]);
        Assert.DoesNotContain("'prod'", problems["manages"]);
        Assert.Empty(((IGitOpsControllers)k8s.GitOps).Validate(PaymentsApi with { Manages = ["prod"] }));
    }
}
