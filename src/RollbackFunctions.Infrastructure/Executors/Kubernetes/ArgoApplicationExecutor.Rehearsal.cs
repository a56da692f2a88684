using System.Text.Json.Nodes;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Executors;

namespace RollbackFunctions.Infrastructure.Executors.Kubernetes;

public sealed partial class ArgoApplicationExecutor
{
    /// <summary>
    /// Reads the Application back and checks that the revision to return to exists where this
    /// product can see it: in the Application's <c>status.history</c>, the revisions Argo CD has
    /// deployed (bounded by its <c>revisionHistoryLimit</c>). A revision outside it may still be in
    /// the repository, which only Argo CD's repo server can tell: that is <c>notRehearsable</c>, not
    /// a pass. Nothing is written (no operation, no refresh).
    /// </summary>
    public async Task<StepRehearsal> RehearseAsync(StepRevertRequest request, CancellationToken cancellationToken)
    {
        if (Read(request.Params, out var target) is { } problem)
        {
            return StepRehearsal.Fails(problem);
        }

        if (ArgoRevisions.Captured(request.Captured) is not { } wanted)
        {
            return StepRehearsal.Fails($"{target}: no revision to go back to (none was synced at registration and params.revision is not set)");
        }

        return await KubernetesSteps.RehearseAsync(target, async () =>
        {
            if (await api.GetAsync(target.Cluster, KubeResource.ArgoApplication, target.Namespace, target.Name, cancellationToken) is not { } application)
            {
                return StepRehearsal.Fails($"{target} no longer exists");
            }

            if (wanted.Matches(application["status"]?["sync"]))
            {
                return StepRehearsal.Ok($"{target} is synced to {wanted} already, the revision from before the deploy: nothing to restore yet");
            }

            var deployed = (application["status"]?["history"] as JsonArray ?? []).OfType<JsonObject>().LastOrDefault(wanted.Matches);
            return deployed is not null
                ? StepRehearsal.Ok($"{target} exists and Argo CD deployed {wanted} before (history id {deployed["id"]?.ToJsonString() ?? "?"}, {(string?)deployed["deployedAt"] ?? "time unknown"}): a sync back to it can be asked")
                : StepRehearsal.NotRehearsable($"{target} exists, but {wanted} is not in its deploy history; whether its repository still has it only Argo CD's repo server can tell");
        });
    }
}
