namespace RollbackFunctions.Infrastructure.Executors.Kubernetes;

/// <summary>Where a kind of object lives in the Kubernetes API.</summary>
public sealed record KubeResource(string Group, string Version, string Plural, string Kind)
{
    public static KubeResource Deployment { get; } = new("apps", "v1", "deployments", "Deployment");
    public static KubeResource StatefulSet { get; } = new("apps", "v1", "statefulsets", "StatefulSet");
    public static KubeResource DaemonSet { get; } = new("apps", "v1", "daemonsets", "DaemonSet");
    public static KubeResource ReplicaSet { get; } = new("apps", "v1", "replicasets", "ReplicaSet");
    public static KubeResource ControllerRevision { get; } = new("apps", "v1", "controllerrevisions", "ControllerRevision");
    public static KubeResource ConfigMap { get; } = new("", "v1", "configmaps", "ConfigMap");
    public static KubeResource Pod { get; } = new("", "v1", "pods", "Pod");
    public static KubeResource ArgoRollout { get; } = new("argoproj.io", "v1alpha1", "rollouts", "Rollout");
    public static KubeResource ArgoApplication { get; } = new("argoproj.io", "v1alpha1", "applications", "Application");
    public static KubeResource FluxKustomization { get; } = new("kustomize.toolkit.fluxcd.io", "v1", "kustomizations", "Kustomization");
    public static KubeResource FluxHelmRelease { get; } = new("helm.toolkit.fluxcd.io", "v2", "helmreleases", "HelmRelease");

    /// <summary>The workload kinds <c>kubernetesDeployment</c> steps may name in <c>params.workloadKind</c>.</summary>
    public static IReadOnlyDictionary<string, KubeResource> Workloads { get; } = new Dictionary<string, KubeResource>(StringComparer.Ordinal)
    {
        [Deployment.Kind] = Deployment,
        [StatefulSet.Kind] = StatefulSet,
        [DaemonSet.Kind] = DaemonSet,
    };
}
