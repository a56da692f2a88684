using System.Collections.Concurrent;
using k8s;
using Microsoft.Extensions.Options;

namespace RollbackFunctions.Infrastructure.Executors.Kubernetes;

/// <summary>One client per configured cluster, built on first use and kept.</summary>
public sealed class KubernetesClusters(IOptions<KubernetesOptions> options) : IDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<IKubernetes>> clients = new(StringComparer.Ordinal);

    public KubernetesOptions Options => options.Value;

    /// <summary>The configured cluster a step names, or the only one when it names none; else what is wrong with <c>params.cluster</c>.</summary>
    public string? Resolve(string? requested, out string name)
    {
        var configured = options.Value.Clusters.Keys.Order(StringComparer.Ordinal).ToList();
        name = requested ?? (configured.Count == 1 ? configured[0] : "");
        if (options.Value.Clusters.ContainsKey(name))
        {
            return null;
        }

        var known = configured.Count == 0 ? "none is configured (Rollback:Executors:Kubernetes:Clusters)" : $"configured: {string.Join(", ", configured)}";
        return requested is null
            ? $"is required when not exactly one cluster is configured; {known}"
            : $"'{requested}' is not a configured cluster; {known}";
    }

    /// <summary>The client of a configured cluster.</summary>
    public IKubernetes ClientFor(string cluster) =>
        clients.GetOrAdd(cluster, name => new Lazy<IKubernetes>(() => Build(options.Value.Clusters[name]))).Value;

    private IKubernetes Build(KubernetesClusterOptions cluster)
    {
        var configuration = cluster.InCluster
            ? KubernetesClientConfiguration.InClusterConfig()
            : KubernetesClientConfiguration.BuildConfigFromConfigFile(cluster.Kubeconfig!, cluster.Context);
        configuration.HttpClientTimeout = options.Value.RequestTimeout;
        return new k8s.Kubernetes(configuration);
    }

    public void Dispose()
    {
        foreach (var client in clients.Values.Where(c => c.IsValueCreated))
        {
            client.Value.Dispose();
        }
    }
}
