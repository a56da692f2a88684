using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using RollbackFunctions.Core.Executors;
using RollbackFunctions.Core.Ports;

namespace RollbackFunctions.Infrastructure.Executors.Kubernetes;

/// <summary>
/// <c>argocdApplication</c>: syncs an Argo CD Application back to the revision it ran before the
/// deploy (captured at registration from <c>status.sync.revision</c>, or <c>params.revision</c>; a
/// multi-source Application captures <c>status.sync.revisions</c>, one per source, or is refused),
/// after terminating whatever operation is running (see <see cref="ArgoApplicationSync"/>), then waits
/// until its own operation succeeded and the Application is Healthy. Idempotent: an Application
/// already Synced and Healthy there is left alone. Hold auto-sync first (deploy-level <c>gitops</c>),
/// or Argo CD syncs the newer revision straight back.
/// </summary>
public sealed partial class ArgoApplicationExecutor(KubernetesClusters clusters, KubernetesApi api, TimeProvider clock) : IStepExecutor
{
    public string Kind => "argocdApplication";

    public string? ValidateParams(JsonObject parameters) => Read(parameters, out _);

    public async Task<StepPreparation> PrepareAsync(StepPrepareRequest request, CancellationToken cancellationToken)
    {
        if (Read(request.Params, out var target) is { } problem)
        {
            return StepPreparation.Failed(problem, transient: false);
        }

        var prepared = await KubernetesSteps.CaptureOrRefuseAsync(api, KubeResource.ArgoApplication, target.Cluster, target.Namespace, target.Name, target,
            application => Task.FromResult(Capture(target, application)), cancellationToken);
        return SyncedState(prepared.Captured?["revision"], prepared.Captured?["revisions"]) is { } before ? prepared with { Before = before } : prepared;
    }

    /// <summary>The revision (or, multi-source, the revisions) the Application last synced: what the three-state rule compares.</summary>
    public async Task<TargetObservation> ObserveAsync(StepObserveRequest request, CancellationToken cancellationToken)
    {
        if (Read(request.Params, out var target) is { } problem)
        {
            return TargetObservation.Failed(problem, transient: false);
        }

        return await KubernetesSteps.ObserveAsync(api, KubeResource.ArgoApplication, target.Cluster, target.Namespace, target.Name, target,
            application => SyncedState(application["status"]?["sync"]?["revision"], application["status"]?["sync"]?["revisions"]) ?? TargetState.Of(("revision", "")), cancellationToken);
    }

    private static TargetState? SyncedState(JsonNode? revision, JsonNode? revisions) =>
        revisions is JsonArray list ? TargetState.Of(("revisions", string.Join(",", list.Select(r => (string?)r))))
        : (string?)revision is { } one ? TargetState.Of(("revision", one))
        : null;

    public async Task<StepRevertResult> RevertAsync(StepRevertRequest request, CancellationToken cancellationToken)
    {
        if (Read(request.Params, out var target) is { } problem)
        {
            return StepRevertResult.Failed(problem);
        }

        if (ArgoRevisions.Captured(request.Captured) is not { } wanted)
        {
            return StepRevertResult.Failed($"{target}: no revision to go back to (none was synced at registration and params.revision is not set)");
        }

        var waitUntil = clock.GetUtcNow() + KubernetesWorkloadExecutor.WaitBudget(request.WaitLimit);
        var sync = new ArgoApplicationSync(api, target, wanted, request.RollbackId, clusters.Options.PollInterval, clock, request.ObservedVersion);
        return await KubernetesSteps.RevertAsync(target, () => sync.RunAsync(waitUntil, cancellationToken), cancellationToken);
    }

    /// <summary>
    /// The revision to return to: <c>status.sync.revision</c> (or <c>params.revision</c>); for a
    /// multi-source Application one per source from <c>status.sync.revisions</c>, or a refusal that says why.
    /// </summary>
    private static StepPreparation Capture(ApplicationTarget target, KubeObject application)
    {
        if (application["spec"]?["sources"] is not JsonArray { Count: > 0 } sources)
        {
            var revision = target.Revision ?? (string?)application["status"]?["sync"]?["revision"];
            return new StepPreparation(new JsonObject { ["cluster"] = target.Cluster, ["revision"] = revision });
        }

        if (target.Revision is not null)
        {
            return StepPreparation.Failed($"{target} has {sources.Count} sources (spec.sources) and params.revision names one revision: leave it out, and the revision of each source is captured", transient: false);
        }

        var revisions = (application["status"]?["sync"]?["revisions"] as JsonArray ?? []).Select(r => (string?)r).ToList();
        if (revisions.Count != sources.Count || revisions.Any(string.IsNullOrEmpty))
        {
            return StepPreparation.Failed(
                $"{target} has {sources.Count} sources but status.sync.revisions names {revisions.Count}: there is no revision per source to go back to; let Argo CD sync it first, or register the step with revert.mode manual",
                transient: false);
        }

        return new StepPreparation(new JsonObject { ["cluster"] = target.Cluster, ["revisions"] = new JsonArray(revisions.Select(r => (JsonNode)r!).ToArray()) });
    }

    private string? Read(JsonObject parameters, out ApplicationTarget target)
    {
        var p = new StepParams(parameters).OnlyKnown("cluster", "namespace", "name", "revision");
        var cluster = p.Matching("cluster", KubernetesNames.Cluster(), "must be a cluster name", required: false);
        var ns = p.Matching("namespace", KubernetesNames.Label(), KubernetesNames.LabelRule);
        var name = p.Matching("name", KubernetesNames.Subdomain(), KubernetesNames.SubdomainRule);
        var revision = p.Matching("revision", Revision(), "must be a commit, tag or chart version (letters, digits, '.', '_', '-', '/'; not starting with '-')", required: false);
        if (clusters.Resolve(cluster, out var resolved) is { } clusterProblem)
        {
            p.Add("cluster", clusterProblem);
        }

        target = new ApplicationTarget(resolved, ns ?? "", name ?? "", revision);
        return p.Problem;
    }

    [GeneratedRegex(@"^(?!-)(?!.*\.\.)[A-Za-z0-9._/+-]{1,200}$")]
    private static partial Regex Revision();
}

/// <summary>The Argo CD Application a step names.</summary>
public sealed record ApplicationTarget(string Cluster, string Namespace, string Name, string? Revision)
{
    public override string ToString() => $"Application {Namespace}/{Name} in cluster {Cluster}";
}
