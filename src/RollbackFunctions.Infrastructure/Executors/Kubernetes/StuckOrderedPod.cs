using System.Text.Json.Nodes;

namespace RollbackFunctions.Infrastructure.Executors.Kubernetes;

/// <summary>
/// kubernetes/kubernetes#67250: a StatefulSet under <c>podManagementPolicy: OrderedReady</c> (the
/// default) with a rolling update replaces its pods one at a time and waits for each to be Ready
/// first, including a pod of an old revision that can never be Ready (crash-looping, an image that
/// does not pull): a rollback to the previous revision then never rolls out. Waiting will not help,
/// so the revert says so at once, naming the pod. It does not delete the pod: that is destructive
/// (the pod's local state, a quorum member) and is left to a human, with the command to run.
/// </summary>
public static class StuckOrderedPod
{
    /// <summary>Container states a pod does not leave by itself while it runs the same template.</summary>
    private static readonly HashSet<string> Stuck = new(StringComparer.Ordinal)
    {
        "CrashLoopBackOff", "ImagePullBackOff", "ErrImagePull", "CreateContainerConfigError", "CreateContainerError", "InvalidImageName", "RunContainerError",
    };

    /// <summary>Whether the rule applies: OrderedReady pod management with a rolling update.</summary>
    public static bool Applies(KubeObject statefulSet) =>
        (string?)statefulSet["spec"]?["podManagementPolicy"] is null or "OrderedReady"
        && (string?)statefulSet["spec"]?["updateStrategy"]?["type"] is null or "RollingUpdate";

    /// <summary>The first pod not at the update revision that is not Ready and cannot become so, as a sentence for the step's detail; null when none.</summary>
    public static string? Find(KubeObject statefulSet, IEnumerable<KubeObject> pods)
    {
        var update = (string?)statefulSet["status"]?["updateRevision"];
        foreach (var pod in pods.OrderByDescending(p => p.Metadata.Name, StringComparer.Ordinal))
        {
            var revision = pod.Metadata.Labels?.TryGetValue("controller-revision-hash", out var hash) == true ? hash : null;
            if (revision == update || Ready(pod))
            {
                continue;
            }

            var waiting = (pod["status"]?["containerStatuses"] as JsonArray ?? [])
                .Select(c => (Container: (string?)c?["name"], Reason: (string?)c?["state"]?["waiting"]?["reason"], Restarts: JsonNumbers.Long(c?["restartCount"])))
                .FirstOrDefault(c => c.Reason is not null && Stuck.Contains(c.Reason));
            if (waiting.Reason is null)
            {
                continue;
            }

            var name = pod.Metadata.Name;
            var ns = pod.Metadata.NamespaceProperty;
            return $"stuck: pod {name} of revision {revision} is not Ready (container {waiting.Container}: {waiting.Reason}, {waiting.Restarts} restarts), and under OrderedReady "
                + $"the controller waits for it before replacing it, so the restored revision {update} never rolls out (kubernetes/kubernetes#67250); "
                + $"not deleted automatically (destructive): check the pod, then `kubectl delete pod -n {ns} {name}` lets the controller recreate it at the restored revision";
        }

        return null;
    }

    private static bool Ready(KubeObject pod) =>
        (pod["status"]?["conditions"] as JsonArray ?? []).Any(c => (string?)c?["type"] == "Ready" && (string?)c?["status"] == "True");
}
