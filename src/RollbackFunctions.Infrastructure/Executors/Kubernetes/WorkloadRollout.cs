using System.Text.Json.Nodes;

namespace RollbackFunctions.Infrastructure.Executors.Kubernetes;

/// <summary>Where a workload's rollout is, read from its status.</summary>
/// <param name="Done">Every replica runs the current template and is available.</param>
/// <param name="Stalled">The controller gave up (<c>ProgressDeadlineExceeded</c>); waiting longer will not help.</param>
/// <param name="Detail">What the status says, for the step's detail.</param>
public sealed record RolloutProgress(bool Done, bool Stalled, string Detail);

/// <summary>
/// The rules <c>kubectl rollout status</c> applies, per workload kind: the controller has seen the
/// latest generation, every replica is updated, no old replica remains, and the updated ones are
/// available.
/// </summary>
public static class WorkloadRollout
{
    public static RolloutProgress Of(KubeResource kind, KubeObject workload)
    {
        var status = workload["status"] as JsonObject ?? [];
        if (Long(status["observedGeneration"]) < (workload.Metadata.Generation ?? 0))
        {
            return new RolloutProgress(false, false, "waiting for the controller to observe the change");
        }

        return kind.Kind switch
        {
            "Deployment" => OfDeployment(workload, status),
            "StatefulSet" => OfStatefulSet(workload, status),
            "DaemonSet" => OfDaemonSet(status),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind.Kind, "not a workload"),
        };
    }

    private static RolloutProgress OfDeployment(KubeObject deployment, JsonObject status)
    {
        if ((status["conditions"] as JsonArray ?? []).OfType<JsonObject>().FirstOrDefault(c =>
                (string?)c["type"] == "Progressing" && (string?)c["reason"] == "ProgressDeadlineExceeded") is { } stalled)
        {
            return new RolloutProgress(false, true, $"ProgressDeadlineExceeded: {(string?)stalled["message"]}");
        }

        var wanted = Long(deployment["spec"]?["replicas"], fallback: 1);
        var updated = Long(status["updatedReplicas"]);
        var total = Long(status["replicas"]);
        var available = Long(status["availableReplicas"]);
        var detail = $"{updated}/{wanted} updated, {available} available, {Math.Max(0, total - updated)} old";
        return new RolloutProgress(updated >= wanted && total <= updated && available >= updated, false, detail);
    }

    private static RolloutProgress OfStatefulSet(KubeObject statefulSet, JsonObject status)
    {
        if ((string?)statefulSet["spec"]?["updateStrategy"]?["type"] == "OnDelete")
        {
            return new RolloutProgress(true, false, "updateStrategy OnDelete: pods change when deleted, not waited for");
        }

        var wanted = Long(statefulSet["spec"]?["replicas"], fallback: 1);
        var ready = Long(status["readyReplicas"]);
        var updated = Long(status["updatedReplicas"]);
        var current = (string?)status["currentRevision"];
        var update = (string?)status["updateRevision"];
        var detail = $"{updated}/{wanted} updated, {ready} ready";
        return new RolloutProgress(ready >= wanted && updated >= wanted && current == update, false, detail);
    }

    private static RolloutProgress OfDaemonSet(JsonObject status)
    {
        var desired = Long(status["desiredNumberScheduled"]);
        var updated = Long(status["updatedNumberScheduled"]);
        var available = Long(status["numberAvailable"]);
        return new RolloutProgress(updated >= desired && available >= desired, false, $"{updated}/{desired} updated, {available} available");
    }

    private static long Long(JsonNode? node, long fallback = 0) => JsonNumbers.Long(node, fallback);
}
