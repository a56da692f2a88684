using System.Text.Json.Nodes;
using k8s.Models;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Ports;

namespace RollbackFunctions.Infrastructure.Executors.Kubernetes;

/// <summary>
/// Holds and resumes Argo CD and Flux through the Kubernetes API, with merge patches. Argo CD: the
/// Application's <c>spec.syncPolicy.automated</c> (self-heal and prune included) is removed; Flux:
/// <c>spec.suspend</c> is set. What was there is kept in an annotation on the object in the same
/// patch, so a repeated hold keeps the original, a crash between patch and record loses nothing, and
/// a resume restores exactly it and removes the annotation.
/// </summary>
public sealed class KubernetesGitOpsControllers(KubernetesApi api) : IGitOpsControllers
{
    /// <summary>The annotation that remembers what the hold replaced.</summary>
    public const string HeldAnnotation = "rollbackfunctions.io/held";

    public async Task<GitOpsOutcome> HoldAsync(GitOpsTarget target, CancellationToken cancellationToken)
    {
        try
        {
            var resource = ResourceOf(target);
            if (await api.GetAsync(target.Cluster, resource, target.Namespace, target.Name, cancellationToken) is not { } found)
            {
                return new GitOpsOutcome(target, false, "not found");
            }

            if (found.Annotation(HeldAnnotation) is { } already)
            {
                return new GitOpsOutcome(target, true, $"already held (before the hold: {already})");
            }

            var (previous, spec) = target.Controller == GitOpsTarget.ArgoCd
                ? (new JsonObject { ["automated"] = found["spec"]?["syncPolicy"]?["automated"]?.DeepClone() }, new JsonObject { ["syncPolicy"] = new JsonObject { ["automated"] = null } })
                : (new JsonObject { ["suspend"] = found["spec"]?["suspend"]?.GetValue<bool>() ?? false }, new JsonObject { ["suspend"] = true });
            var patch = new JsonObject
            {
                ["metadata"] = new JsonObject { ["annotations"] = new JsonObject { [HeldAnnotation] = previous.ToJsonString() } },
                ["spec"] = spec,
            };
            await api.PatchAsync(target.Cluster, resource, target.Namespace, target.Name, new V1Patch(patch.ToJsonString(), V1Patch.PatchType.MergePatch), cancellationToken);
            return new GitOpsOutcome(target, true, target.Controller == GitOpsTarget.ArgoCd
                ? $"automated sync off (was {previous["automated"]?.ToJsonString() ?? "already off"})"
                : "suspended");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return new GitOpsOutcome(target, false, KubernetesApi.Describe(e));
        }
    }

    public async Task<GitOpsOutcome> ResumeAsync(GitOpsTarget target, CancellationToken cancellationToken)
    {
        try
        {
            var resource = ResourceOf(target);
            var found = await api.GetAsync(target.Cluster, resource, target.Namespace, target.Name, cancellationToken);
            if (found?.Annotation(HeldAnnotation) is not { } held)
            {
                return new GitOpsOutcome(target, found is not null, found is null ? "not found" : "not held by a rollback: left as it is");
            }

            var previous = JsonNode.Parse(held)!.AsObject();
            var spec = target.Controller == GitOpsTarget.ArgoCd
                ? new JsonObject { ["syncPolicy"] = new JsonObject { ["automated"] = previous["automated"]?.DeepClone() } }
                : new JsonObject { ["suspend"] = previous["suspend"]?.DeepClone() };
            var patch = new JsonObject { ["metadata"] = new JsonObject { ["annotations"] = new JsonObject { [HeldAnnotation] = null } }, ["spec"] = spec };
            await api.PatchAsync(target.Cluster, resource, target.Namespace, target.Name, new V1Patch(patch.ToJsonString(), V1Patch.PatchType.MergePatch), cancellationToken);
            return new GitOpsOutcome(target, true, $"restored {held}");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return new GitOpsOutcome(target, false, KubernetesApi.Describe(e));
        }
    }

    private static KubeResource ResourceOf(GitOpsTarget target) =>
        target.Controller == GitOpsTarget.ArgoCd ? KubeResource.ArgoApplication
        : target.Kind == "HelmRelease" ? KubeResource.FluxHelmRelease
        : KubeResource.FluxKustomization;
}
