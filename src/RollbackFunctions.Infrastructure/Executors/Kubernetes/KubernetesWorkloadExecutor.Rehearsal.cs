using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Executors;

namespace RollbackFunctions.Infrastructure.Executors.Kubernetes;

public sealed partial class KubernetesWorkloadExecutor
{
    /// <summary>
    /// The restore patch sent as a server-side dry run (<c>dryRun=All</c>): the API server validates
    /// it and runs admission webhooks (a policy that would refuse the old image says so now), and
    /// stores nothing. Nothing else is written, and the rollout is not waited for.
    /// </summary>
    public async Task<StepRehearsal> RehearseAsync(StepRevertRequest request, CancellationToken cancellationToken)
    {
        if (Read(request.Params, out var target) is { } problem)
        {
            return StepRehearsal.Fails(problem);
        }

        return await KubernetesSteps.RehearseAsync(target, async () =>
        {
            var workload = await api.GetAsync(target.Cluster, target.Resource, target.Namespace, target.Name, cancellationToken);
            if (workload is null)
            {
                return StepRehearsal.Fails($"{target} does not exist");
            }

            var (template, revision) = await TargetTemplateAsync(target, workload, request.Captured, cancellationToken);
            if (template is null)
            {
                return StepRehearsal.Fails(revision);
            }

            if (KubeTemplates.Same(workload["spec"]?["template"], template))
            {
                return StepRehearsal.Ok($"{target} is at revision {revision} already: nothing to restore yet");
            }

            await api.DryRunPatchAsync(target.Cluster, target.Resource, target.Namespace, target.Name, KubeTemplates.ReplaceTemplate(template), cancellationToken);
            return StepRehearsal.Ok($"the API server accepts restoring {target} to revision {revision} ({KubeTemplates.Images(template)}) in a dry run");
        });
    }
}
