using System.ComponentModel.DataAnnotations;

namespace RollbackFunctions.Infrastructure.Executors.Kubernetes;

/// <summary>
/// The clusters steps may name, bound from <c>Rollback:Executors:Kubernetes</c>. Credentials live in
/// the kubeconfig files (or the pod's service account), never in a deploy body.
/// </summary>
public sealed class KubernetesOptions : IValidatableObject
{
    /// <summary>Clusters by the name a step gives in <c>params.cluster</c>.</summary>
    public Dictionary<string, KubernetesClusterOptions> Clusters { get; set; } = new(StringComparer.Ordinal);

    /// <summary>How often a wait reads a workload's status.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:01:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Timeout of one API call; Polly retries a call that times out.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00")]
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>First delay of the retries of a transient API fault (429, 5xx, 409 on update, timeouts), doubled each time.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:00:30")]
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Attempts of one API call before the revert fails (the Durable retry then wraps the whole step).</summary>
    [Range(1, 10)]
    public int RetryAttempts { get; set; } = 4;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var (name, cluster) in Clusters)
        {
            if (cluster.InCluster == !string.IsNullOrEmpty(cluster.Kubeconfig))
            {
                yield return new ValidationResult($"Rollback:Executors:Kubernetes:Clusters:{name} needs exactly one of Kubeconfig (a file path) or InCluster=true");
            }
            else if (cluster.Kubeconfig is { } path && !Path.IsPathRooted(path))
            {
                yield return new ValidationResult($"Rollback:Executors:Kubernetes:Clusters:{name}:Kubeconfig must be an absolute path");
            }
        }
    }
}

/// <summary>How to reach one cluster.</summary>
public sealed class KubernetesClusterOptions
{
    /// <summary>Path of a kubeconfig file.</summary>
    public string? Kubeconfig { get; set; }

    /// <summary>Context in that file; its current context when unset.</summary>
    public string? Context { get; set; }

    /// <summary>Use the pod's service account (the product runs inside this cluster).</summary>
    public bool InCluster { get; set; }

    /// <summary>
    /// <c>Rollback:Executors:Kubernetes:Clusters:&lt;name&gt;:Environments</c>: the environments whose deploys
    /// may act on this cluster. Empty: every environment while none are declared (Rollback:Policy:Environments), none once they are.
    /// </summary>
    public List<string> Environments { get; set; } = [];
}
