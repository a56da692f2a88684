using System.Text.Json.Nodes;
using RollbackFunctions.Core.Executors;
using RollbackFunctions.Core.Ports;

namespace RollbackFunctions.Infrastructure.Tests.Executors;

/// <summary>
/// The window between the three-state read and the revert's write, for every Kubernetes kind: the
/// write carries the resourceVersion that was read and judged, so the fake API server answers 409
/// Conflict (with a Status body, as a real one does) when the object changed in between, and the
/// executor throws <see cref="TargetChangedException"/> having written nothing.
/// </summary>
public sealed class ReadWriteGapTests : IAsyncLifetime
{
    private const string Good = "registry/checkout:1.4.2";
    private const string Bad = "registry/checkout:1.4.3";
    private const string Hotfix = "registry/checkout:1.4.3-hotfix";
    private KubernetesFixture k8s = null!;

    public async Task InitializeAsync() => k8s = await KubernetesFixture.StartAsync();

    public async Task DisposeAsync() => await k8s.DisposeAsync();

    private static JsonObject Params(string? workloadKind = null)
    {
        var p = new JsonObject { ["cluster"] = "prod", ["namespace"] = "shop", ["name"] = "checkout" };
        if (workloadKind is not null)
        {
            p["workloadKind"] = workloadKind;
        }

        return p;
    }

    [Theory]
    [InlineData("deployments", "Deployment")]
    [InlineData("statefulsets", "StatefulSet")]
    [InlineData("daemonsets", "DaemonSet")]
    public async Task Workload_ChangedAfterTheRead_WriteRefusedWith409_NothingWritten(string plural, string kind)
    {
        k8s.Api.SeedWorkload(plural, "shop", "checkout", 2, Good);
        var prepared = await k8s.Workloads.PrepareAsync(KubernetesFixture.PrepareOf("kubernetesDeployment", Params(kind)), default);
        k8s.Api.SetImage(plural, "shop", "checkout", Bad);

        await AssertRefusedAsync(k8s.Workloads, "kubernetesDeployment", Params(kind), prepared,
            hotfix: () => k8s.Api.SetImage(plural, "shop", "checkout", Hotfix),
            stillHotfix: () => Assert.Contains(Hotfix, k8s.Api.Get("/apis/apps/v1", "shop", plural, "checkout")!.ToJsonString()));
    }

    [Fact]
    public async Task Rollout_ChangedAfterTheRead_WriteRefusedWith409_NothingWritten()
    {
        k8s.Api.SeedRollout("shop", "checkout", Good);
        var prepared = await k8s.Rollouts.PrepareAsync(KubernetesFixture.PrepareOf("argoRollout", Params()), default);
        k8s.Api.StartCanary("shop", "checkout", Bad);
        k8s.Api.CompleteRollout("shop", "checkout");

        await AssertRefusedAsync(k8s.Rollouts, "argoRollout", Params(), prepared,
            hotfix: () => k8s.Api.StartCanary("shop", "checkout", Hotfix),
            stillHotfix: () => Assert.Contains(Hotfix, k8s.Api.Get("/apis/argoproj.io/v1alpha1", "shop", "rollouts", "checkout")!["spec"]!.ToJsonString()));
    }

    [Fact]
    public async Task ArgoApplication_ChangedAfterTheRead_WriteRefusedWith409_NothingWritten()
    {
        var parameters = new JsonObject { ["namespace"] = "argocd", ["name"] = "payments-api" };
        k8s.Api.SeedApplication("argocd", "payments-api", new string('a', 40), automated: false);
        var prepared = await k8s.Applications.PrepareAsync(KubernetesFixture.PrepareOf("argocdApplication", parameters), default);
        k8s.Api.SetApplicationRevision("argocd", "payments-api", new string('b', 40));

        await AssertRefusedAsync(k8s.Applications, "argocdApplication", parameters, prepared,
            hotfix: () => k8s.Api.SetApplicationRevision("argocd", "payments-api", new string('c', 40)),
            stillHotfix: () => Assert.Null(k8s.Api.Get("/apis/argoproj.io/v1alpha1", "argocd", "applications", "payments-api")!["operation"]));
    }

    [Fact]
    public async Task ConfigMap_ChangedAfterTheRead_WriteRefusedWith409_NothingWritten()
    {
        var parameters = new JsonObject { ["cluster"] = "prod", ["namespace"] = "shop", ["name"] = "checkout-config" };
        k8s.Api.SeedConfigMap("shop", "checkout-config", new Dictionary<string, string> { ["LIMIT"] = "10" });
        var prepared = await k8s.ConfigMaps.PrepareAsync(KubernetesFixture.PrepareOf("kubernetesConfigMap", parameters), default);
        k8s.Api.SetConfigMapData("shop", "checkout-config", new Dictionary<string, string> { ["LIMIT"] = "20" });

        await AssertRefusedAsync(k8s.ConfigMaps, "kubernetesConfigMap", parameters, prepared,
            hotfix: () => k8s.Api.SetConfigMapData("shop", "checkout-config", new Dictionary<string, string> { ["LIMIT"] = "15" }),
            stillHotfix: () => Assert.Equal("15", (string?)k8s.Api.Get("/api/v1", "shop", "configmaps", "checkout-config")!["data"]!["LIMIT"]));
    }

    /// <summary>Reads (the three-state read), lets someone change the object, then reverts with the version read.</summary>
    private async Task AssertRefusedAsync(IStepExecutor executor, string kind, JsonObject parameters, StepPreparation prepared, Action hotfix, Action stillHotfix)
    {
        var observed = await executor.ObserveAsync(new StepObserveRequest("d1", "step", kind, parameters) { Captured = prepared.Captured }, default);
        Assert.NotNull(observed.Version);
        hotfix();
        var writesBefore = k8s.Api.Writes.Count();

        var refused = await Assert.ThrowsAsync<TargetChangedException>(() =>
            executor.RevertAsync(KubernetesFixture.RevertOf(kind, parameters, prepared) with { ObservedVersion = observed.Version }, default));

        Assert.Contains("409", refused.Message);
        Assert.Contains("the object has been modified", refused.Message); // the Status body's message
        Assert.Single(k8s.Api.Writes.Skip(writesBefore)); // one refused write, not retried
        stillHotfix();
    }
}
