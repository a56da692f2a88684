using Microsoft.Extensions.Options;
using RollbackFunctions.Core.Executors;
using RollbackFunctions.Infrastructure.Executors.Kubernetes;

namespace RollbackFunctions.Infrastructure.Tests.Executors;

/// <summary>
/// The Kubernetes executors with the real KubernetesClient, talking to a fake API server through a
/// kubeconfig: no API server can be installed on these machines.
/// </summary>
public sealed class KubernetesFixture : IAsyncDisposable
{
    private readonly string kubeconfig;

    private KubernetesFixture(FakeKubernetesApi api, string kubeconfig, KubernetesClusters clusters)
    {
        Api = api;
        this.kubeconfig = kubeconfig;
        Clusters = clusters;
        var client = new KubernetesApi(clusters, Options.Create(clusters.Options));
        Workloads = new KubernetesWorkloadExecutor(clusters, client, TimeProvider.System);
        ConfigMaps = new KubernetesConfigMapExecutor(clusters, client, Workloads, TimeProvider.System);
        Rollouts = new ArgoRolloutExecutor(clusters, client, TimeProvider.System);
        GitOps = new KubernetesGitOpsControllers(client, clusters);
        Applications = new ArgoApplicationExecutor(clusters, client, TimeProvider.System);
    }

    public FakeKubernetesApi Api { get; }
    public KubernetesClusters Clusters { get; }
    public KubernetesWorkloadExecutor Workloads { get; }
    public KubernetesConfigMapExecutor ConfigMaps { get; }
    public ArgoRolloutExecutor Rollouts { get; }
    public KubernetesGitOpsControllers GitOps { get; }
    public ArgoApplicationExecutor Applications { get; }

    public static async Task<KubernetesFixture> StartAsync()
    {
        var api = await FakeKubernetesApi.StartAsync();
        var kubeconfig = api.WriteKubeconfig(Path.Combine(Path.GetTempPath(), $"kubeconfig-{Guid.NewGuid():N}"));
        var options = new KubernetesOptions
        {
            Clusters = { ["prod"] = new KubernetesClusterOptions { Kubeconfig = kubeconfig } },
            PollInterval = TimeSpan.FromMilliseconds(50),
            RetryDelay = TimeSpan.FromMilliseconds(10),
        };
        return new KubernetesFixture(api, kubeconfig, new KubernetesClusters(Options.Create(options)));
    }

    /// <summary>Registration, then the revert, as the product runs them, with the captured state handed over.</summary>
    public static StepRevertRequest RevertOf(string kind, System.Text.Json.Nodes.JsonObject parameters, StepPreparation prepared, TimeSpan? waitLimit = null, string rollbackId = "rb-d1") =>
        new(rollbackId, "d1", "step", kind, parameters, "1.4.3", "1.4.2") { Captured = prepared.Captured, WaitLimit = waitLimit ?? TimeSpan.FromSeconds(20) };

    public static StepPrepareRequest PrepareOf(string kind, System.Text.Json.Nodes.JsonObject parameters) => new("d1", "step", kind, parameters);

    public async ValueTask DisposeAsync()
    {
        Clusters.Dispose();
        await Api.DisposeAsync();
        File.Delete(kubeconfig);
    }
}
