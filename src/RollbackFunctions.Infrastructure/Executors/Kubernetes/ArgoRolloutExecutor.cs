using System.Text.Json.Nodes;
using k8s.Models;
using RollbackFunctions.Core.Executors;
using RollbackFunctions.Core.Ports;

namespace RollbackFunctions.Infrastructure.Executors.Kubernetes;

/// <summary>
/// <c>argoRollout</c>: traffic back to stable first (abort, as <c>kubectl argo rollouts abort</c>
/// does through the status subresource), then, when the rollout's template is not the one from
/// before the deploy, that template restored; then it waits until the Rollout reports Healthy.
/// Idempotent: a Rollout already Healthy on the captured template is left alone.
/// </summary>
public sealed class ArgoRolloutExecutor(KubernetesClusters clusters, KubernetesApi api, TimeProvider clock) : IStepExecutor
{
    public string Kind => "argoRollout";

    public string? ValidateParams(JsonObject parameters) => Read(parameters, out _);

    public async Task<StepPreparation> PrepareAsync(StepPrepareRequest request, CancellationToken cancellationToken)
    {
        if (Read(request.Params, out var target) is { } problem)
        {
            return StepPreparation.Failed(problem, transient: false);
        }

        var prepared = await KubernetesSteps.CaptureAsync(api, KubeResource.ArgoRollout, target.Cluster, target.Namespace, target.Name, target, rollout =>
        {
            var template = KubeTemplates.Normalized(rollout["spec"]?["template"]);
            return Task.FromResult(new JsonObject
            {
                ["cluster"] = target.Cluster,
                ["stableRS"] = (string?)rollout["status"]?["stableRS"],
                ["images"] = KubeTemplates.Images(template),
                ["template"] = template,
            });
        }, cancellationToken);
        return prepared.Captured?["template"] is JsonObject captured ? prepared with { Before = TargetStates.OfPodTemplate(captured) } : prepared;
    }

    public async Task<TargetObservation> ObserveAsync(StepObserveRequest request, CancellationToken cancellationToken)
    {
        if (Read(request.Params, out var target) is { } problem)
        {
            return TargetObservation.Failed(problem, transient: false);
        }

        return await KubernetesSteps.ObserveAsync(api, KubeResource.ArgoRollout, target.Cluster, target.Namespace, target.Name, target,
            rollout => TargetStates.OfPodTemplate(rollout["spec"]?["template"]), cancellationToken);
    }

    public async Task<StepRevertResult> RevertAsync(StepRevertRequest request, CancellationToken cancellationToken)
    {
        if (Read(request.Params, out var target) is { } problem)
        {
            return StepRevertResult.Failed(problem);
        }

        if (request.Captured?["template"] is not JsonObject template)
        {
            return StepRevertResult.Failed($"{target}: nothing was captured at registration");
        }

        var waitUntil = clock.GetUtcNow() + KubernetesWorkloadExecutor.WaitBudget(request.WaitLimit);
        return await KubernetesSteps.RevertAsync(target, () => RestoreAsync(target, template, waitUntil, cancellationToken), cancellationToken);
    }

    /// <summary>Abort first, then the template, then the wait for Healthy.</summary>
    private async Task<StepRevertResult> RestoreAsync(ArgoTarget target, JsonObject template, DateTimeOffset waitUntil, CancellationToken cancellationToken)
    {
        var rollout = await api.GetAsync(target.Cluster, KubeResource.ArgoRollout, target.Namespace, target.Name, cancellationToken);
        if (rollout is null)
        {
            return StepRevertResult.Failed($"{target} no longer exists");
        }

        var onCapturedTemplate = KubeTemplates.Same(rollout["spec"]?["template"], template);
        var actions = new List<string>();
        if (!(onCapturedTemplate && Phase(rollout) == "Healthy"))
        {
            // The safe state first: traffic to the stable ReplicaSet, whatever happens next.
            var abort = new JsonObject { ["status"] = new JsonObject { ["abort"] = true } };
            await api.PatchStatusAsync(target.Cluster, KubeResource.ArgoRollout, target.Namespace, target.Name, new V1Patch(abort.ToJsonString(), V1Patch.PatchType.MergePatch), cancellationToken);
            actions.Add("aborted (traffic to stable)");
        }

        if (!onCapturedTemplate)
        {
            await api.PatchAsync(target.Cluster, KubeResource.ArgoRollout, target.Namespace, target.Name, KubeTemplates.ReplaceTemplate(template), cancellationToken);
            actions.Add($"restored the template from before the deploy ({KubeTemplates.Images(template)})");
        }

        var action = $"{target}: {(actions.Count == 0 ? "already Healthy on the template from before the deploy" : string.Join("; ", actions))}";
        return await WaitForHealthyAsync(target, action, waitUntil, cancellationToken);
    }

    private async Task<StepRevertResult> WaitForHealthyAsync(ArgoTarget target, string action, DateTimeOffset waitUntil, CancellationToken cancellationToken)
    {
        while (true)
        {
            var rollout = await api.GetAsync(target.Cluster, KubeResource.ArgoRollout, target.Namespace, target.Name, cancellationToken);
            var phase = rollout is null ? "deleted" : Phase(rollout);
            if (phase == "Healthy")
            {
                return StepRevertResult.Reverted($"{action}; Rollout is Healthy");
            }

            if (rollout is null || clock.GetUtcNow() >= waitUntil)
            {
                return StepRevertResult.TimedOut($"{action}; Rollout is {phase}: {(string?)rollout?["status"]?["message"]}");
            }

            await Task.Delay(clusters.Options.PollInterval, clock, cancellationToken);
        }
    }

    private static string Phase(KubeObject rollout) => (string?)rollout["status"]?["phase"] ?? "unknown";

    private string? Read(JsonObject parameters, out ArgoTarget target)
    {
        var p = new StepParams(parameters).OnlyKnown("cluster", "namespace", "name");
        var cluster = p.Matching("cluster", KubernetesNames.Cluster(), "must be a cluster name", required: false);
        var ns = p.Matching("namespace", KubernetesNames.Label(), KubernetesNames.LabelRule);
        var name = p.Matching("name", KubernetesNames.Subdomain(), KubernetesNames.SubdomainRule);
        if (clusters.Resolve(cluster, out var resolved) is { } clusterProblem)
        {
            p.Add("cluster", clusterProblem);
        }

        target = new ArgoTarget(resolved, ns ?? "", name ?? "");
        return p.Problem;
    }
}

/// <summary>The Argo Rollout a step names.</summary>
public sealed record ArgoTarget(string Cluster, string Namespace, string Name)
{
    public override string ToString() => $"Rollout {Namespace}/{Name} in cluster {Cluster}";
}
