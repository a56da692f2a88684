using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using k8s.Models;
using RollbackFunctions.Core.Executors;
using RollbackFunctions.Core.Ports;

namespace RollbackFunctions.Infrastructure.Executors.Kubernetes;

/// <summary>
/// <c>argocdApplication</c>: syncs an Argo CD Application back to the revision it ran before the
/// deploy (captured at registration from <c>status.sync.revision</c>, or <c>params.revision</c>) by
/// setting an <c>operation</c> on the Application, as <c>argocd app sync --revision</c> does, then waits
/// until the operation succeeded at that revision and the Application is Healthy. Idempotent: an
/// Application already Synced and Healthy at that revision is left alone. Hold auto-sync first
/// (deploy-level <c>gitops</c>), or Argo CD syncs the newer revision straight back.
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

        var prepared = await KubernetesSteps.CaptureAsync(api, KubeResource.ArgoApplication, target.Cluster, target.Namespace, target.Name, target, application =>
        {
            var revision = target.Revision ?? (string?)application["status"]?["sync"]?["revision"];
            return Task.FromResult(new JsonObject { ["cluster"] = target.Cluster, ["revision"] = revision });
        }, cancellationToken);
        return (string?)prepared.Captured?["revision"] is { } before ? prepared with { Before = TargetState.Of(("revision", before)) } : prepared;
    }

    /// <summary>The revision the Application last synced: what the three-state rule compares.</summary>
    public async Task<TargetObservation> ObserveAsync(StepObserveRequest request, CancellationToken cancellationToken)
    {
        if (Read(request.Params, out var target) is { } problem)
        {
            return TargetObservation.Failed(problem, transient: false);
        }

        return await KubernetesSteps.ObserveAsync(api, KubeResource.ArgoApplication, target.Cluster, target.Namespace, target.Name, target,
            application => TargetState.Of(("revision", (string?)application["status"]?["sync"]?["revision"] ?? "")), cancellationToken);
    }

    public async Task<StepRevertResult> RevertAsync(StepRevertRequest request, CancellationToken cancellationToken)
    {
        if (Read(request.Params, out var target) is { } problem)
        {
            return StepRevertResult.Failed(problem);
        }

        if ((string?)request.Captured?["revision"] is not { Length: > 0 } revision)
        {
            return StepRevertResult.Failed($"{target}: no revision to go back to (none was synced at registration and params.revision is not set)");
        }

        var waitUntil = clock.GetUtcNow() + KubernetesWorkloadExecutor.WaitBudget(request.WaitLimit);
        return await KubernetesSteps.RevertAsync(target, () => SyncAsync(target, revision, request.RollbackId, waitUntil, cancellationToken), cancellationToken);
    }

    private async Task<StepRevertResult> SyncAsync(ApplicationTarget target, string revision, string rollbackId, DateTimeOffset waitUntil, CancellationToken cancellationToken)
    {
        var application = await api.GetAsync(target.Cluster, KubeResource.ArgoApplication, target.Namespace, target.Name, cancellationToken);
        if (application is null)
        {
            return StepRevertResult.Failed($"{target} no longer exists");
        }

        var short12 = revision.Length > 12 ? revision[..12] : revision;
        if (IsAt(application, revision) && application["operation"] is null)
        {
            return StepRevertResult.Reverted($"{target} is already Synced and Healthy at {short12}; nothing changed");
        }

        if (application["operation"] is null)
        {
            var operation = new JsonObject
            {
                ["operation"] = new JsonObject
                {
                    ["initiatedBy"] = new JsonObject { ["username"] = $"rollbackfunctions:{rollbackId}" },
                    ["sync"] = new JsonObject { ["revision"] = revision },
                },
            };
            await api.PatchAsync(target.Cluster, KubeResource.ArgoApplication, target.Namespace, target.Name, new V1Patch(operation.ToJsonString(), V1Patch.PatchType.MergePatch), cancellationToken);
        }

        while (true)
        {
            await Task.Delay(clusters.Options.PollInterval, clock, cancellationToken);
            application = await api.GetAsync(target.Cluster, KubeResource.ArgoApplication, target.Namespace, target.Name, cancellationToken);
            var phase = (string?)application?["status"]?["operationState"]?["phase"];
            if (application is not null && application["operation"] is null && phase is "Failed" or "Error")
            {
                return StepRevertResult.Failed($"Argo CD could not sync {target} to {short12}: {(string?)application["status"]?["operationState"]?["message"]}");
            }

            if (application is not null && application["operation"] is null && IsAt(application, revision))
            {
                return StepRevertResult.Reverted($"{target} synced to {short12} and Healthy");
            }

            if (clock.GetUtcNow() >= waitUntil)
            {
                return StepRevertResult.TimedOut($"{target}: sync to {short12} is {phase ?? "not started"}, health {(string?)application?["status"]?["health"]?["status"] ?? "unknown"}");
            }
        }
    }

    /// <summary>The last sync ran at <paramref name="revision"/> and the Application is Healthy.</summary>
    private static bool IsAt(KubeObject application, string revision) =>
        (string?)application["status"]?["sync"]?["revision"] == revision
        && (string?)application["status"]?["sync"]?["status"] == "Synced"
        && (string?)application["status"]?["health"]?["status"] == "Healthy";

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
