using System.Text.Json.Nodes;
using k8s.Models;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Executors;

namespace RollbackFunctions.Infrastructure.Executors.Kubernetes;

public sealed partial class KubernetesConfigMapExecutor
{
    /// <summary>
    /// The captured <c>data</c> and <c>binaryData</c> sent as a server-side dry run (<c>dryRun=All</c>):
    /// validation and admission run, nothing is stored. The Deployments the revert would restart are
    /// read, not restarted. Values never reach the detail, only how many keys.
    /// </summary>
    public async Task<StepRehearsal> RehearseAsync(StepRevertRequest request, CancellationToken cancellationToken)
    {
        if (Read(request.Params, out var target) is { } problem)
        {
            return StepRehearsal.Fails(problem);
        }

        if (request.Captured is not { } captured)
        {
            return StepRehearsal.Fails($"{target}: nothing was captured at registration");
        }

        return await KubernetesSteps.RehearseAsync(target, async () =>
        {
            if (await api.GetAsync(target.Cluster, KubeResource.ConfigMap, target.Namespace, target.Name, cancellationToken) is not { } configMap)
            {
                return StepRehearsal.Fails($"{target} no longer exists");
            }

            foreach (var deployment in target.Restart)
            {
                if (await api.GetAsync(target.Cluster, KubeResource.Deployment, target.Namespace, deployment, cancellationToken) is null)
                {
                    return StepRehearsal.Fails($"restart: Deployment {target.Namespace}/{deployment} in cluster {target.Cluster} does not exist");
                }
            }

            var keys = DataFields.Sum(field => (captured[field] as JsonObject)?.Count ?? 0);
            if (DataFields.All(field => JsonNode.DeepEquals(configMap[field] ?? new JsonObject(), captured[field] ?? new JsonObject())))
            {
                return StepRehearsal.Ok($"{target} holds the {keys} key(s) from before the deploy already: nothing to restore yet");
            }

            // "add" replaces a member that exists and creates one that does not: the whole maps, as the revert writes them.
            var patch = new JsonArray(DataFields.Select(field => (JsonNode)new JsonObject { ["op"] = "add", ["path"] = $"/{field}", ["value"] = captured[field]?.DeepClone() ?? new JsonObject() }).ToArray());
            await api.DryRunPatchAsync(target.Cluster, KubeResource.ConfigMap, target.Namespace, target.Name, new V1Patch(patch.ToJsonString(), V1Patch.PatchType.JsonPatch), cancellationToken);
            return StepRehearsal.Ok($"the API server accepts restoring the {keys} key(s) of {target} in a dry run{(target.Restart.Count > 0 ? $"; {string.Join(", ", target.Restart)} exist to be restarted" : "")}");
        });
    }
}
