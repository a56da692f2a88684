using System.Globalization;
using System.Text.Json.Nodes;
using k8s.Models;
using RollbackFunctions.Core.Executors;
using RollbackFunctions.Core.Ports;

namespace RollbackFunctions.Infrastructure.Executors.Kubernetes;

/// <summary>
/// <c>kubernetesConfigMap</c>: captures a ConfigMap's <c>data</c> and <c>binaryData</c> when the
/// deploy is registered and puts them back (read, compare, replace with the read's resourceVersion;
/// a conflict re-reads). Then restarts the Deployments named in <c>restart</c> as
/// <c>kubectl rollout restart</c> does and waits for them. Idempotent: equal data is not written,
/// and a Deployment already restarted for this rollback is not restarted again.
/// </summary>
public sealed partial class KubernetesConfigMapExecutor(KubernetesClusters clusters, KubernetesApi api, KubernetesWorkloadExecutor workloads, TimeProvider clock) : IStepExecutor
{
    /// <summary>Marks a restart as done for one rollback, so a retried revert does not restart again.</summary>
    public const string RestartedForAnnotation = "rollbackfunctions.io/restarted-for";

    private const string RestartedAtAnnotation = "kubectl.kubernetes.io/restartedAt";
    private static readonly string[] DataFields = ["data", "binaryData"];

    public string Kind => "kubernetesConfigMap";

    public string? ValidateParams(JsonObject parameters) => Read(parameters, out _);

    public async Task<StepPreparation> PrepareAsync(StepPrepareRequest request, CancellationToken cancellationToken)
    {
        if (Read(request.Params, out var target) is { } problem)
        {
            return StepPreparation.Failed(problem, transient: false);
        }

        var prepared = await KubernetesSteps.CaptureAsync(api, KubeResource.ConfigMap, target.Cluster, target.Namespace, target.Name, target, configMap =>
        {
            var captured = new JsonObject { ["cluster"] = target.Cluster };
            foreach (var field in DataFields)
            {
                captured[field] = configMap[field]?.DeepClone() ?? new JsonObject();
            }

            return Task.FromResult(captured);
        }, cancellationToken);
        return prepared.Captured is { } data ? prepared with { Before = StateOf(data) } : prepared;
    }

    public async Task<TargetObservation> ObserveAsync(StepObserveRequest request, CancellationToken cancellationToken)
    {
        if (Read(request.Params, out var target) is { } problem)
        {
            return TargetObservation.Failed(problem, transient: false);
        }

        return await KubernetesSteps.ObserveAsync(api, KubeResource.ConfigMap, target.Cluster, target.Namespace, target.Name, target,
            configMap => StateOf(new JsonObject { ["data"] = configMap["data"]?.DeepClone(), ["binaryData"] = configMap["binaryData"]?.DeepClone() }), cancellationToken);
    }

    /// <summary>The key names shown, every value only as a digest: ConfigMaps carry connection strings too.</summary>
    private static TargetState StateOf(JsonObject data)
    {
        var entries = DataFields.SelectMany(field => (data[field] as JsonObject ?? []).Select(e => (Key: $"{field}.{e.Key}", Value: (string?)e.Value ?? ""))).ToList();
        return new TargetState
        {
            Shown = new Dictionary<string, string> { ["keys"] = string.Join(" ", entries.Select(e => e.Key).Order(StringComparer.Ordinal)) },
            Hidden = entries.ToDictionary(e => $"key {e.Key}", e => TargetState.Digest(e.Value), StringComparer.Ordinal),
        };
    }

    public async Task<StepRevertResult> RevertAsync(StepRevertRequest request, CancellationToken cancellationToken)
    {
        if (Read(request.Params, out var target) is { } problem)
        {
            return StepRevertResult.Failed(problem);
        }

        if (request.Captured is not { } captured)
        {
            return StepRevertResult.Failed($"{target}: nothing was captured at registration");
        }

        var waitUntil = clock.GetUtcNow() + KubernetesWorkloadExecutor.WaitBudget(request.WaitLimit);
        return await KubernetesSteps.RevertAsync(target, () => RestoreAsync(target, captured, request.RollbackId, request.ObservedVersion, waitUntil, cancellationToken), cancellationToken);
    }

    /// <summary>The data first, then the restarts, each waited for.</summary>
    private async Task<StepRevertResult> RestoreAsync(ConfigMapTarget target, JsonObject captured, string rollbackId, string? judgedVersion, DateTimeOffset waitUntil, CancellationToken cancellationToken)
    {
        var (data, binaryData) = (Strings(captured["data"]), Strings(captured["binaryData"]));
        var changed = false;
        var configMap = await api.UpdateConfigMapAsync(target.Cluster, target.Namespace, target.Name, judgedVersion, current =>
        {
            var currentBinary = (current.BinaryData ?? new Dictionary<string, byte[]>()).ToDictionary(b => b.Key, b => Convert.ToBase64String(b.Value));
            changed = !SameEntries(current.Data, data) || !SameEntries(currentBinary, binaryData);
            if (changed)
            {
                current.Data = data;
                current.BinaryData = binaryData.ToDictionary(b => b.Key, b => Convert.FromBase64String(b.Value));
            }

            return changed;
        }, cancellationToken);
        if (configMap is null)
        {
            return StepRevertResult.Failed($"{target} no longer exists");
        }

        var keys = data.Count + binaryData.Count;
        var detail = changed ? $"{target}: restored {keys} key(s)" : $"{target}: already holds the {keys} key(s) from before the deploy";
        foreach (var deployment in target.Restart)
        {
            var result = await RestartAsync(target with { Name = deployment }, rollbackId, waitUntil, cancellationToken);
            detail += $"; {result.Detail}";
            if (result.Outcome != RevertOutcome.Reverted)
            {
                return result with { Detail = detail };
            }
        }

        return StepRevertResult.Reverted(detail);
    }

    /// <summary>Captured entries: data values are strings, binaryData values base64, as the API sends them.</summary>
    private static Dictionary<string, string> Strings(JsonNode? entries) =>
        (entries as JsonObject ?? []).ToDictionary(e => e.Key, e => (string?)e.Value ?? "", StringComparer.Ordinal);

    private static bool SameEntries(IDictionary<string, string>? current, Dictionary<string, string> wanted) =>
        (current?.Count ?? 0) == wanted.Count && wanted.All(w => current!.TryGetValue(w.Key, out var value) && value == w.Value);

    /// <summary>Restarts one Deployment (a new pod template annotation), once per rollback, and waits for it.</summary>
    private async Task<StepRevertResult> RestartAsync(ConfigMapTarget target, string rollbackId, DateTimeOffset waitUntil, CancellationToken cancellationToken)
    {
        var workload = new WorkloadTarget(target.Cluster, target.Namespace, target.Name, KubeResource.Deployment);
        var deployment = await api.GetAsync(target.Cluster, KubeResource.Deployment, target.Namespace, target.Name, cancellationToken);
        if (deployment is null)
        {
            return StepRevertResult.Failed($"restart: {workload} does not exist");
        }

        var annotations = deployment["spec"]?["template"]?["metadata"]?["annotations"] as JsonObject;
        if ((string?)annotations?[RestartedForAnnotation] != rollbackId)
        {
            var patch = new JsonObject
            {
                ["spec"] = new JsonObject
                {
                    ["template"] = new JsonObject
                    {
                        ["metadata"] = new JsonObject
                        {
                            ["annotations"] = new JsonObject
                            {
                                [RestartedAtAnnotation] = clock.GetUtcNow().ToString("O", CultureInfo.InvariantCulture),
                                [RestartedForAnnotation] = rollbackId,
                            },
                        },
                    },
                },
            };
            await api.PatchAsync(target.Cluster, KubeResource.Deployment, target.Namespace, target.Name, new V1Patch(patch.ToJsonString(), V1Patch.PatchType.StrategicMergePatch), cancellationToken);
        }

        return await workloads.WaitForRolloutAsync(workload, $"restarted {target.Name}", waitUntil, cancellationToken);
    }

    private string? Read(JsonObject parameters, out ConfigMapTarget target)
    {
        var p = new StepParams(parameters).OnlyKnown("cluster", "namespace", "name", "restart");
        var cluster = p.Matching("cluster", KubernetesNames.Cluster(), "must be a cluster name", required: false);
        var ns = p.Matching("namespace", KubernetesNames.Label(), KubernetesNames.LabelRule);
        var name = p.Matching("name", KubernetesNames.Subdomain(), KubernetesNames.SubdomainRule);
        var restart = p.List("restart", KubernetesNames.Subdomain(), KubernetesNames.SubdomainRule);
        if (clusters.Resolve(cluster, out var resolved) is { } clusterProblem)
        {
            p.Add("cluster", clusterProblem);
        }

        target = new ConfigMapTarget(resolved, ns ?? "", name ?? "", restart);
        return p.Problem;
    }
}

/// <summary>The ConfigMap a step names, and the Deployments to restart after restoring it.</summary>
public sealed record ConfigMapTarget(string Cluster, string Namespace, string Name, IReadOnlyList<string> Restart)
{
    public override string ToString() => $"ConfigMap {Namespace}/{Name} in cluster {Cluster}";
}
