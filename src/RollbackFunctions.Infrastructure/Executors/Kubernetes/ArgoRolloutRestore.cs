using System.Globalization;
using System.Text.Json.Nodes;
using k8s.Models;
using RollbackFunctions.Core.Executors;

namespace RollbackFunctions.Infrastructure.Executors.Kubernetes;

/// <summary>What an <c>argoRollout</c> revert returns to, and how.</summary>
/// <param name="Template">The pod template captured at registration.</param>
/// <param name="StableRS">The stable ReplicaSet's hash captured at registration (<c>status.stableRS</c>), or null.</param>
/// <param name="RollbackId">The rollback reverting; written on the Rollout so a retry recognises its own rollout.</param>
/// <param name="Walk"><c>params.canary: walk</c>: let the restored version walk the canary steps instead of promoting it fully.</param>
/// <param name="Version">The resourceVersion the three-state rule judged: the precondition of the first write; null to use the one read.</param>
public sealed record ArgoRestore(JsonObject Template, string? StableRS, string RollbackId, bool Walk, string? Version = null);

/// <summary>
/// The steps of an <c>argoRollout</c> revert, from what the Rollout holds now:
/// <list type="number">
/// <item>A canary running over the captured stable ReplicaSet: abort first (traffic back to stable,
/// as <c>kubectl argo rollouts abort</c> does), then restore the template, which Argo recognises as
/// the stable ReplicaSet's and finishes at once ("Rollback to stable ReplicaSets").</item>
/// <item>The deploy's version already stable (the alert fired in the bake window): an abort would
/// send every request to that version, so none; the template is restored and the new canary of the old
/// version fully promoted (<c>status.promoteFull</c>, as <c>kubectl argo rollouts promote --full</c>
/// does) once the controller has seen it, because Argo resets <c>promoteFull</c> on a template change.
/// A rollback neither walks canary steps nor waits on an indefinite <c>pause: {}</c>, unless the step
/// says <c>params.canary: walk</c>.</item>
/// <item>A Rollout on the captured template marked with this rollback's id is this revert's own
/// rollout (an earlier attempt restored it): never aborted, only promoted and waited for.</item>
/// </list>
/// Done when the Rollout is Healthy with the captured ReplicaSet stable.
/// </summary>
internal sealed class ArgoRolloutRestore(KubernetesApi api, ArgoTarget target, ArgoRestore restore)
{
    /// <summary>Restores what the revert needs and says what it did, or null when there is nothing to change.</summary>
    public async Task<(StepRevertResult? Done, List<string> Actions)> ApplyAsync(KubeObject rollout, CancellationToken cancellationToken)
    {
        var actions = new List<string>();
        var onTemplate = KubeTemplates.Same(rollout["spec"]?["template"], restore.Template);
        var mine = rollout.Annotation(ArgoRolloutExecutor.RollbackAnnotation) == restore.RollbackId;
        if (onTemplate && IsBack(rollout))
        {
            return (StepRevertResult.Reverted($"{target}: already Healthy on the ReplicaSet from before the deploy ({restore.StableRS})"), actions);
        }

        if (onTemplate)
        {
            actions.Add(mine ? $"continuing the rollout this rollback started ({ArgoRolloutExecutor.RollbackAnnotation}={restore.RollbackId})" : "already on the template from before the deploy");
            return (null, actions);
        }

        // Each write only over the version before it: the judged one first, so a change since is refused with 409, not overwritten.
        var version = restore.Version ?? rollout.Metadata.ResourceVersion;
        if (StableIsCaptured(rollout) && !mine)
        {
            // The safe state first: the stable ReplicaSet is the version from before the deploy.
            var aborted = await api.PatchAtVersionAsync(target.Cluster, KubeResource.ArgoRollout, target.Namespace, target.Name, StatusPatch(new JsonObject { ["abort"] = true }), version, cancellationToken, status: true);
            version = aborted.Metadata.ResourceVersion;
            actions.Add("aborted (traffic to stable)");
        }

        await api.PatchAtVersionAsync(target.Cluster, KubeResource.ArgoRollout, target.Namespace, target.Name, MarkedTemplatePatch(rollout), version, cancellationToken);
        actions.Add($"restored the template from before the deploy ({KubeTemplates.Images(restore.Template)}), marked {ArgoRolloutExecutor.RollbackAnnotation}={restore.RollbackId}");
        return (null, actions);
    }

    /// <summary>
    /// Fully promotes the restored version when it is a canary the controller has seen and nobody
    /// promoted yet: the same condition <c>kubectl argo rollouts promote --full</c> checks. Safe to repeat.
    /// </summary>
    public async Task<bool> PromoteIfNeededAsync(KubeObject rollout, CancellationToken cancellationToken)
    {
        var status = rollout["status"];
        if (restore.Walk || !KubeTemplates.Same(rollout["spec"]?["template"], restore.Template)
            || !Observed(rollout) || (string?)status?["currentPodHash"] == (string?)status?["stableRS"] || (bool?)status?["promoteFull"] == true)
        {
            return false;
        }

        if ((bool?)rollout["spec"]?["paused"] == true)
        {
            var unpause = new JsonObject { ["spec"] = new JsonObject { ["paused"] = false } };
            await api.PatchAsync(target.Cluster, KubeResource.ArgoRollout, target.Namespace, target.Name, new V1Patch(unpause.ToJsonString(), V1Patch.PatchType.MergePatch), cancellationToken);
        }

        await PatchStatusAsync(new JsonObject { ["promoteFull"] = true }, cancellationToken);
        return true;
    }

    /// <summary>Healthy, with the ReplicaSet from before the deploy stable (or, when none was captured, the current one).</summary>
    public bool IsBack(KubeObject rollout) =>
        (string?)rollout["status"]?["phase"] == "Healthy"
        && (restore.StableRS is null ? (string?)rollout["status"]?["currentPodHash"] == (string?)rollout["status"]?["stableRS"] : StableIsCaptured(rollout));

    /// <summary>Why the Rollout is not back yet, for a step's detail.</summary>
    public static string Describe(KubeObject? rollout)
    {
        if (rollout is null)
        {
            return "Rollout was deleted";
        }

        var status = rollout["status"];
        var index = JsonNumbers.Long(status?["currentStepIndex"], -1);
        var steps = rollout["spec"]?["strategy"]?["canary"]?["steps"] as JsonArray ?? [];
        var pause = index >= 0 && index < steps.Count && steps[(int)index]?["pause"] is JsonObject p && p["duration"] is null
            ? $" at step {index} (an indefinite pause: promote it, or revert without params.canary: walk)"
            : index >= 0 ? $" at step {index} of {steps.Count}" : "";
        return $"Rollout is {(string?)status?["phase"] ?? "unknown"}{pause}: {(string?)status?["message"]}; stable {(string?)status?["stableRS"]}, current {(string?)status?["currentPodHash"]}";
    }

    private bool StableIsCaptured(KubeObject rollout) =>
        restore.StableRS is not null && (string?)rollout["status"]?["stableRS"] == restore.StableRS;

    /// <summary>Argo Rollouts records the generation it last reconciled as a string.</summary>
    private static bool Observed(KubeObject rollout) =>
        (string?)rollout["status"]?["observedGeneration"] is not { } observed
        || observed == (rollout.Metadata.Generation ?? 0).ToString(CultureInfo.InvariantCulture);

    /// <summary>The template and the mark in one JSON patch: a Rollout restored by this rollback always says so.</summary>
    private V1Patch MarkedTemplatePatch(KubeObject rollout)
    {
        var mark = rollout.Metadata.Annotations is null
            ? new JsonObject { ["op"] = "add", ["path"] = "/metadata/annotations", ["value"] = new JsonObject { [ArgoRolloutExecutor.RollbackAnnotation] = restore.RollbackId } }
            : new JsonObject { ["op"] = "add", ["path"] = $"/metadata/annotations/{ArgoRolloutExecutor.RollbackAnnotation.Replace("/", "~1", StringComparison.Ordinal)}", ["value"] = restore.RollbackId };
        var template = new JsonObject { ["op"] = "replace", ["path"] = "/spec/template", ["value"] = KubeTemplates.Normalized(restore.Template) };
        return new V1Patch(new JsonArray(mark, template).ToJsonString(), V1Patch.PatchType.JsonPatch);
    }

    private Task PatchStatusAsync(JsonObject status, CancellationToken cancellationToken) =>
        api.PatchStatusAsync(target.Cluster, KubeResource.ArgoRollout, target.Namespace, target.Name, StatusPatch(status), cancellationToken);

    private static V1Patch StatusPatch(JsonObject status) => new(new JsonObject { ["status"] = status }.ToJsonString(), V1Patch.PatchType.MergePatch);
}
