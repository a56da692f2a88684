using System.Text.Json.Nodes;
using k8s.Models;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Ports;

namespace RollbackFunctions.Infrastructure.Executors.Kubernetes;

/// <summary>
/// Holds and resumes Argo CD and Flux through the Kubernetes API, with merge patches. Argo CD: the
/// Application's <c>spec.syncPolicy.automated</c> (self-heal and prune included) is removed; Flux:
/// <c>spec.suspend</c> is set. What was there, and which rollbacks hold the object, is kept in an
/// annotation on the object in the same patch (<see cref="GitOpsHoldRecord"/>), so a repeated hold
/// keeps the original, a crash between patch and record loses nothing, and the last resume restores
/// exactly it. Every hold is read back: one undone since (an ApplicationSet or a parent Application
/// turned auto-sync back on) is applied again and says so; one undone at once, twice, failed.
/// </summary>
public sealed class KubernetesGitOpsControllers(KubernetesApi api, KubernetesClusters clusters) : IGitOpsControllers
{
    /// <summary>The annotation that remembers what the hold replaced and which rollbacks hold it.</summary>
    public const string HeldAnnotation = "rollbackfunctions.io/held";

    /// <summary>Writes of one hold before it counts as undone at once by a controller.</summary>
    private const int HoldAttempts = 2;

    public async Task<GitOpsOutcome> HoldAsync(GitOpsTarget target, string rollbackId, CancellationToken cancellationToken)
    {
        try
        {
            var resource = ResourceOf(target);
            if (await api.GetAsync(target.Cluster, resource, target.Namespace, target.Name, cancellationToken) is not { } found)
            {
                return new GitOpsOutcome(target, false, "not found");
            }

            var record = GitOpsHoldRecord.Parse(found.Annotation(HeldAnnotation));
            if (record is not null && record.By.Contains(rollbackId) && GitOpsHoldRecord.IsHeld(target, found))
            {
                return new GitOpsOutcome(target, true, $"already held (before the hold: {record.Describe(target)})");
            }

            var undone = record is not null && !GitOpsHoldRecord.IsHeld(target, found);
            var next = (record ?? GitOpsHoldRecord.Of(target, found, rollbackId)).With(rollbackId);
            for (var attempt = 1; attempt <= HoldAttempts; attempt++)
            {
                var patch = new JsonObject
                {
                    ["metadata"] = new JsonObject { ["annotations"] = new JsonObject { [HeldAnnotation] = next.ToAnnotation() } },
                    ["spec"] = GitOpsHoldRecord.HeldSpec(target),
                };
                await api.PatchAsync(target.Cluster, resource, target.Namespace, target.Name, new V1Patch(patch.ToJsonString(), V1Patch.PatchType.MergePatch), cancellationToken);

                // Read back: a controller that owns the object may put its spec back at once.
                var now = await api.GetAsync(target.Cluster, resource, target.Namespace, target.Name, cancellationToken);
                if (now is null)
                {
                    return new GitOpsOutcome(target, false, "deleted while being held");
                }

                if (GitOpsHoldRecord.IsHeld(target, now))
                {
                    var others = next.By.Where(b => b != rollbackId).ToList();
                    var what = target.Controller == GitOpsTarget.ArgoCd ? "automated sync off" : "suspended";
                    var detail = $"{what} (before the hold: {next.Describe(target)})"
                        + (undone || attempt > 1 ? "; the hold had been undone (an ApplicationSet or a parent Application?) and was applied again" : "")
                        + (others.Count > 0 ? $"; also held by {string.Join(", ", others)}" : "");
                    return new GitOpsOutcome(target, true, detail, Reheld: undone || attempt > 1);
                }
            }

            return new GitOpsOutcome(target, false,
                $"the hold was undone at once, {HoldAttempts} times: a controller owns this object (an ApplicationSet, or a parent Application with self-heal); hold it there");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return new GitOpsOutcome(target, false, KubernetesApi.Describe(e));
        }
    }

    public async Task<GitOpsOutcome> ResumeAsync(GitOpsTarget target, string rollbackId, CancellationToken cancellationToken)
    {
        try
        {
            var resource = ResourceOf(target);
            var found = await api.GetAsync(target.Cluster, resource, target.Namespace, target.Name, cancellationToken);
            if (GitOpsHoldRecord.Parse(found?.Annotation(HeldAnnotation)) is not { } record)
            {
                return new GitOpsOutcome(target, found is not null, found is null ? "not found" : "not held by a rollback: left as it is");
            }

            if (record.By.Count > 0 && !record.By.Contains(rollbackId))
            {
                return new GitOpsOutcome(target, false, $"held by {string.Join(", ", record.By)}, not by {rollbackId}: left as it is");
            }

            var remaining = record.Without(rollbackId);
            var patch = remaining.By.Count > 0
                ? new JsonObject { ["metadata"] = new JsonObject { ["annotations"] = new JsonObject { [HeldAnnotation] = remaining.ToAnnotation() } } }
                : new JsonObject { ["metadata"] = new JsonObject { ["annotations"] = new JsonObject { [HeldAnnotation] = null } }, ["spec"] = record.PreviousSpec(target) };
            await api.PatchAsync(target.Cluster, resource, target.Namespace, target.Name, new V1Patch(patch.ToJsonString(), V1Patch.PatchType.MergePatch), cancellationToken);
            return new GitOpsOutcome(target, true, remaining.By.Count > 0
                ? $"released this rollback's hold; still held by {string.Join(", ", remaining.By)}, and resumes when they resume"
                : $"restored {record.Describe(target)}");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return new GitOpsOutcome(target, false, KubernetesApi.Describe(e));
        }
    }

    /// <summary>The object's cluster and the clusters it manages must be configured: a hold there, and blocking steps there, must mean something.</summary>
    public IReadOnlyDictionary<string, string> Validate(GitOpsTarget target)
    {
        var problems = new Dictionary<string, string>(StringComparer.Ordinal);
        if (target.Cluster is not null && clusters.Resolve(target.Cluster, out _) is { } problem)
        {
            problems["cluster"] = problem;
        }

        var unknown = (target.Manages ?? []).Where(c => c is null || !clusters.Options.Clusters.ContainsKey(c)).ToList();
        if (unknown.Count > 0)
        {
            problems["manages"] = $"names clusters that are not configured: {string.Join(", ", unknown.Select(c => $"'{c}'"))}; configured: {string.Join(", ", clusters.Options.Clusters.Keys.Order(StringComparer.Ordinal))}";
        }

        return problems;
    }

    private static KubeResource ResourceOf(GitOpsTarget target) =>
        target.Controller == GitOpsTarget.ArgoCd ? KubeResource.ArgoApplication
        : target.Kind == "HelmRelease" ? KubeResource.FluxHelmRelease
        : KubeResource.FluxKustomization;
}
