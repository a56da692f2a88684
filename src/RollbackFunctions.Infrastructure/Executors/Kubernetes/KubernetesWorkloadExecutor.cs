using System.Text.Json.Nodes;
using RollbackFunctions.Core.Executors;
using RollbackFunctions.Core.Ports;

namespace RollbackFunctions.Infrastructure.Executors.Kubernetes;

/// <summary>
/// <c>kubernetesDeployment</c>: <c>kubectl rollout undo</c> for Deployments, StatefulSets and
/// DaemonSets. The pod template from before the deploy is captured at registration (or taken from
/// <c>toRevision</c>: a ReplicaSet's or ControllerRevision's), restored with a JSON patch of
/// <c>/spec/template</c>, and the revert waits until the rollout is complete. Idempotent: a
/// workload already at that template is not patched again, only waited for.
/// </summary>
public sealed partial class KubernetesWorkloadExecutor(KubernetesClusters clusters, KubernetesApi api, TimeProvider clock) : IStepExecutor
{
    private const string RevisionAnnotation = "deployment.kubernetes.io/revision";

    public string Kind => "kubernetesDeployment";

    public string? ValidateParams(JsonObject parameters) => Read(parameters, out _);

    public async Task<StepPreparation> PrepareAsync(StepPrepareRequest request, CancellationToken cancellationToken)
    {
        if (Read(request.Params, out var target) is { } problem)
        {
            return StepPreparation.Failed(problem, transient: false);
        }

        var prepared = await KubernetesSteps.CaptureAsync(api, target.Resource, target.Cluster, target.Namespace, target.Name, target, async workload =>
        {
            var template = KubeTemplates.Normalized(workload["spec"]?["template"]);
            return new JsonObject
            {
                ["cluster"] = target.Cluster,
                ["revision"] = await CurrentRevisionAsync(target, workload, cancellationToken),
                ["images"] = KubeTemplates.Images(template),
                ["template"] = template,
            };
        }, cancellationToken);
        if (prepared.Captured?["template"] is not JsonObject captured)
        {
            return prepared;
        }

        if (target.ToRevision is not null)
        {
            // What to restore is that revision: the three states compare with its template.
            try
            {
                return await RevisionStateAsync(target, cancellationToken) is { } revision
                    ? prepared with { Before = revision }
                    : StepPreparation.Failed($"{target}: revision {target.ToRevision} does not exist", transient: false);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                return StepPreparation.Failed($"{target}: {KubernetesApi.Describe(e)}", transient: !KubeTemplates.IsAnswer(e));
            }
        }

        // Registered after applying: "before" would be the deploy's own state (issue 17, point 3).
        var running = TargetStates.OfPodTemplate(captured);
        return running.Shown.Values.FirstOrDefault(image => request.Version is { } version && TargetStates.ImageTag(image) == version) is { } image
            ? prepared with { Problem = $"{target} already runs {image}, this deploy's version", AlreadyApplied = true, Captured = null }
            : prepared with { Before = running };
    }

    public async Task<TargetObservation> ObserveAsync(StepObserveRequest request, CancellationToken cancellationToken)
    {
        if (Read(request.Params, out var target) is { } problem)
        {
            return TargetObservation.Failed(problem, transient: false);
        }

        return await KubernetesSteps.ObserveAsync(api, target.Resource, target.Cluster, target.Namespace, target.Name, target,
            workload => TargetStates.OfPodTemplate(workload["spec"]?["template"]), cancellationToken);
    }

    /// <summary>The state of the revision <c>params.toRevision</c> names, or null when it is gone.</summary>
    private async Task<Core.Executors.TargetState?> RevisionStateAsync(WorkloadTarget target, CancellationToken cancellationToken)
    {
        var workload = await api.GetAsync(target.Cluster, target.Resource, target.Namespace, target.Name, cancellationToken);
        if (workload is null)
        {
            return null;
        }

        var (template, _) = await TargetTemplateAsync(target, workload, null, cancellationToken);
        return template is null ? null : TargetStates.OfPodTemplate(template);
    }

    public async Task<StepRevertResult> RevertAsync(StepRevertRequest request, CancellationToken cancellationToken)
    {
        if (Read(request.Params, out var target) is { } problem)
        {
            return StepRevertResult.Failed(problem);
        }

        var waitUntil = clock.GetUtcNow() + WaitBudget(request.WaitLimit);
        return await KubernetesSteps.RevertAsync(target, () => RestoreAsync(target, request, waitUntil, cancellationToken), cancellationToken);
    }

    private async Task<StepRevertResult> RestoreAsync(WorkloadTarget target, StepRevertRequest request, DateTimeOffset waitUntil, CancellationToken cancellationToken)
    {
        var workload = await api.GetAsync(target.Cluster, target.Resource, target.Namespace, target.Name, cancellationToken);
        if (workload is null)
        {
            return StepRevertResult.Failed($"{target} no longer exists");
        }

        if ((bool?)workload["spec"]?["paused"] == true)
        {
            return StepRevertResult.Failed($"{target} is paused: resume it (kubectl rollout resume) or revert it by hand");
        }

        var (template, revision) = await TargetTemplateAsync(target, workload, request.Captured, cancellationToken);
        if (template is null)
        {
            return StepRevertResult.Failed(revision);
        }

        string action;
        if (KubeTemplates.Same(workload["spec"]?["template"], template))
        {
            action = $"already at revision {revision}";
        }
        else
        {
            // Only over the version judged: a change since (a hotfix, a newer deploy) is refused with 409, not overwritten.
            await api.PatchAtVersionAsync(target.Cluster, target.Resource, target.Namespace, target.Name, KubeTemplates.ReplaceTemplate(template), KubernetesSteps.VersionToWrite(request, workload), cancellationToken);
            action = $"restored revision {revision}";
        }

        return await WaitForRolloutAsync(target, $"{target}: {action} ({KubeTemplates.Images(template)})", waitUntil, cancellationToken);
    }

    /// <summary>Waits for the rollout to complete, as <c>kubectl rollout status</c> does, until the budget runs out.</summary>
    internal async Task<StepRevertResult> WaitForRolloutAsync(WorkloadTarget target, string action, DateTimeOffset waitUntil, CancellationToken cancellationToken)
    {
        while (true)
        {
            var workload = await api.GetAsync(target.Cluster, target.Resource, target.Namespace, target.Name, cancellationToken);
            if (workload is null)
            {
                return StepRevertResult.Failed($"{action}; then it was deleted while waiting for the rollout");
            }

            var progress = WorkloadRollout.Of(target.Resource, workload);
            if (progress.Done)
            {
                return StepRevertResult.Reverted($"{action}; rollout complete: {progress.Detail}");
            }

            if (progress.Stalled || clock.GetUtcNow() >= waitUntil)
            {
                return StepRevertResult.TimedOut($"{action}; rollout not complete: {progress.Detail}");
            }

            if (target.Resource == KubeResource.StatefulSet && StuckOrderedPod.Applies(workload)
                && StuckOrderedPod.Find(workload, await api.ListAsync(target.Cluster, KubeResource.Pod, target.Namespace, KubeTemplates.SelectorOf(workload), cancellationToken)) is { } stuck)
            {
                return StepRevertResult.TimedOut($"{action}; rollout not complete: {progress.Detail}; {stuck}");
            }

            await Task.Delay(clusters.Options.PollInterval, clock, cancellationToken);
        }
    }

    /// <summary>
    /// Most of the step's deadline: the executor ends its wait first, so the step says how far the
    /// rollout got rather than only that the deadline passed.
    /// </summary>
    internal static TimeSpan WaitBudget(TimeSpan waitLimit) => waitLimit * 0.9;

    /// <summary>The template to restore: the named revision's, else the one captured at registration.</summary>
    private async Task<(JsonObject? Template, string Revision)> TargetTemplateAsync(WorkloadTarget target, KubeObject workload, JsonObject? captured, CancellationToken cancellationToken)
    {
        if (target.ToRevision is not { } wanted)
        {
            return captured?["template"] is JsonObject template
                ? (template, (string?)captured["revision"] ?? "captured at registration")
                : (null, $"{target}: nothing was captured at registration and params.toRevision is not set");
        }

        foreach (var owned in await OwnedRevisionsAsync(target, workload, cancellationToken))
        {
            if (owned.Revision == wanted)
            {
                return (KubeTemplates.Normalized(owned.Template), wanted.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return (null, $"{target}: revision {wanted} no longer exists (revisionHistoryLimit?)");
    }

    private async Task<string> CurrentRevisionAsync(WorkloadTarget target, KubeObject workload, CancellationToken cancellationToken)
    {
        if (target.Resource == KubeResource.Deployment)
        {
            return workload.Annotation(RevisionAnnotation) ?? "unknown";
        }

        var revisions = await OwnedRevisionsAsync(target, workload, cancellationToken);
        return revisions.Count == 0 ? "unknown" : revisions.Max(r => r.Revision).ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The revisions a workload keeps: ReplicaSets for a Deployment, ControllerRevisions for the others.</summary>
    private async Task<List<(long Revision, JsonNode? Template)>> OwnedRevisionsAsync(WorkloadTarget target, KubeObject workload, CancellationToken cancellationToken)
    {
        var deployment = target.Resource == KubeResource.Deployment;
        var children = await api.ListAsync(
            target.Cluster, deployment ? KubeResource.ReplicaSet : KubeResource.ControllerRevision, target.Namespace, KubeTemplates.SelectorOf(workload), cancellationToken);
        return children
            .Where(child => KubeTemplates.IsOwnedBy(child, workload))
            .Select(child => deployment
                ? (long.TryParse(child.Annotation(RevisionAnnotation), out var n) ? n : -1, child["spec"]?["template"])
                : (JsonNumbers.Long(child["revision"], fallback: -1), child["data"]?["spec"]?["template"]))
            .Where(r => r.Item1 >= 0)
            .ToList();
    }

    private string? Read(JsonObject parameters, out WorkloadTarget target)
    {
        var p = new StepParams(parameters).OnlyKnown("cluster", "namespace", "name", "workloadKind", "toRevision");
        var cluster = p.Matching("cluster", KubernetesNames.Cluster(), "must be a cluster name", required: false);
        var ns = p.Matching("namespace", KubernetesNames.Label(), KubernetesNames.LabelRule);
        var name = p.Matching("name", KubernetesNames.Subdomain(), KubernetesNames.SubdomainRule);
        var kind = p.Text("workloadKind", required: false) ?? KubeResource.Deployment.Kind;
        if (!KubeResource.Workloads.TryGetValue(kind, out var resource))
        {
            p.Add("workloadKind", $"must be one of {string.Join(", ", KubeResource.Workloads.Keys)}");
        }

        var toRevision = p.Number("toRevision", 1, int.MaxValue);
        if (clusters.Resolve(cluster, out var resolved) is { } clusterProblem)
        {
            p.Add("cluster", clusterProblem);
        }

        target = new WorkloadTarget(resolved, ns ?? "", name ?? "", resource ?? KubeResource.Deployment, toRevision);
        return p.Problem;
    }
}

/// <summary>The workload a step names.</summary>
public sealed record WorkloadTarget(string Cluster, string Namespace, string Name, KubeResource Resource, long? ToRevision = null)
{
    public override string ToString() => $"{Resource.Kind} {Namespace}/{Name} in cluster {Cluster}";
}
