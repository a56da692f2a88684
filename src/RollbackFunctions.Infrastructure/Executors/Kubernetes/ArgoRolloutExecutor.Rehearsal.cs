using System.Text.Json.Nodes;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Executors;

namespace RollbackFunctions.Infrastructure.Executors.Kubernetes;

public sealed partial class ArgoRolloutExecutor
{
    /// <summary>
    /// The template captured at registration sent as a server-side dry run (<c>dryRun=All</c>) of the
    /// patch the revert makes: the Rollout's validation and admission run, nothing is stored, and
    /// neither an abort nor a promotion is sent.
    /// </summary>
    public async Task<StepRehearsal> RehearseAsync(StepRevertRequest request, CancellationToken cancellationToken)
    {
        if (Read(request.Params, out var target) is { } problem)
        {
            return StepRehearsal.Fails(problem);
        }

        if (request.Captured?["template"] is not JsonObject template)
        {
            return StepRehearsal.Fails($"{target}: nothing was captured at registration");
        }

        return await KubernetesSteps.RehearseAsync(target, async () =>
        {
            if (await api.GetAsync(target.Cluster, KubeResource.ArgoRollout, target.Namespace, target.Name, cancellationToken) is not { } rollout)
            {
                return StepRehearsal.Fails($"{target} no longer exists");
            }

            if (KubeTemplates.Same(rollout["spec"]?["template"], template))
            {
                return StepRehearsal.Ok($"{target} runs the template from before the deploy already ({KubeTemplates.Images(template)}): nothing to restore yet");
            }

            await api.DryRunPatchAsync(target.Cluster, KubeResource.ArgoRollout, target.Namespace, target.Name, KubeTemplates.ReplaceTemplate(template), cancellationToken);
            return StepRehearsal.Ok($"the API server accepts restoring {target} to the template from before the deploy ({KubeTemplates.Images(template)}) in a dry run");
        });
    }
}
