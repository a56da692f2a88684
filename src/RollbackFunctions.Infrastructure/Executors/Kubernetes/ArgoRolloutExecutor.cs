using System.Text.Json.Nodes;
using k8s.Models;
using RollbackFunctions.Core.Executors;
using RollbackFunctions.Core.Ports;

namespace RollbackFunctions.Infrastructure.Executors.Kubernetes;

/// <summary>
/// <c>argoRollout</c>: back to the template and stable ReplicaSet captured at registration, without
/// walking canary steps (see <see cref="ArgoRolloutRestore"/> for when it aborts, restores and
/// promotes fully); then it waits until the Rollout is Healthy with that ReplicaSet stable.
/// Idempotent: a Rollout already there is left alone, and a retry recognises the rollout it started
/// by the rollback id it wrote (<see cref="RollbackAnnotation"/>) and never aborts it.
/// </summary>
public sealed partial class ArgoRolloutExecutor(KubernetesClusters clusters, KubernetesApi api, TimeProvider clock) : IStepExecutor
{
    /// <summary>The annotation a revert leaves on the Rollout it restored: the rollback's id.</summary>
    public const string RollbackAnnotation = "rollbackfunctions.io/rollback";

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

        var restore = new ArgoRestore(template, (string?)request.Captured["stableRS"], request.RollbackId, target.Walk, request.ObservedVersion);
        var waitUntil = clock.GetUtcNow() + KubernetesWorkloadExecutor.WaitBudget(request.WaitLimit);
        return await KubernetesSteps.RevertAsync(target, () => RestoreAsync(target, restore, waitUntil, cancellationToken), cancellationToken);
    }

    /// <summary>The template (and, over the captured stable, an abort first), then a full promotion while waiting for Healthy.</summary>
    private async Task<StepRevertResult> RestoreAsync(ArgoTarget target, ArgoRestore restore, DateTimeOffset waitUntil, CancellationToken cancellationToken)
    {
        var rollout = await api.GetAsync(target.Cluster, KubeResource.ArgoRollout, target.Namespace, target.Name, cancellationToken);
        if (rollout is null)
        {
            return StepRevertResult.Failed($"{target} no longer exists");
        }

        var steps = new ArgoRolloutRestore(api, target, restore);
        var (done, actions) = await steps.ApplyAsync(rollout, cancellationToken);
        if (done is not null)
        {
            return done;
        }

        while (true)
        {
            rollout = await api.GetAsync(target.Cluster, KubeResource.ArgoRollout, target.Namespace, target.Name, cancellationToken);
            if (rollout is not null && steps.IsBack(rollout))
            {
                return StepRevertResult.Reverted($"{target}: {string.Join("; ", actions)}; Rollout is Healthy on the ReplicaSet from before the deploy");
            }

            if (rollout is not null && await steps.PromoteIfNeededAsync(rollout, cancellationToken))
            {
                actions.Add("fully promoted (status.promoteFull, as kubectl argo rollouts promote --full)");
                continue;
            }

            if (rollout is null || clock.GetUtcNow() >= waitUntil)
            {
                return StepRevertResult.TimedOut($"{target}: {string.Join("; ", actions)}; {ArgoRolloutRestore.Describe(rollout)}");
            }

            await Task.Delay(clusters.Options.PollInterval, clock, cancellationToken);
        }
    }

    private string? Read(JsonObject parameters, out ArgoTarget target)
    {
        var p = new StepParams(parameters).OnlyKnown("cluster", "namespace", "name", "canary");
        var cluster = p.Matching("cluster", KubernetesNames.Cluster(), "must be a cluster name", required: false);
        var ns = p.Matching("namespace", KubernetesNames.Label(), KubernetesNames.LabelRule);
        var name = p.Matching("name", KubernetesNames.Subdomain(), KubernetesNames.SubdomainRule);
        if (clusters.Resolve(cluster, out var resolved) is { } clusterProblem)
        {
            p.Add("cluster", clusterProblem);
        }

        var canary = p.Text("canary", required: false);
        if (canary is not (null or "promote" or "walk"))
        {
            p.Add("canary", "must be 'promote' (the default: a full promotion) or 'walk' (the restored version walks the canary steps)");
        }

        target = new ArgoTarget(resolved, ns ?? "", name ?? "", canary == "walk");
        return p.Problem;
    }
}

/// <summary>The Argo Rollout a step names.</summary>
public sealed record ArgoTarget(string Cluster, string Namespace, string Name, bool Walk = false)
{
    public override string ToString() => $"Rollout {Namespace}/{Name} in cluster {Cluster}";
}
