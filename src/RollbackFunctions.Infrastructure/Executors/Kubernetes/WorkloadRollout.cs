using System.Text.Json.Nodes;

namespace RollbackFunctions.Infrastructure.Executors.Kubernetes;

/// <summary>Where a workload's rollout is, read from its status.</summary>
/// <param name="Done">Every replica runs the current template and is available.</param>
/// <param name="Stalled">The controller gave up (<c>ProgressDeadlineExceeded</c>); waiting longer will not help.</param>
/// <param name="Detail">What the status says, for the step's detail.</param>
public sealed record RolloutProgress(bool Done, bool Stalled, string Detail);

/// <summary>
/// The rules <c>kubectl rollout status</c> applies (kubectl's pkg/polymorphichelpers/rollout_status.go),
/// per workload kind and update strategy: the controller has seen the latest generation, every
/// replica is updated (for a partitioned StatefulSet, those at or above the partition), no old
/// replica remains, and the updated ones are available. <c>OnDelete</c> workloads are not waited for.
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
            "DaemonSet" => OfDaemonSet(workload, status),
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

    /// <summary>
    /// kubectl's StatefulSet rule: every replica ready, then with a partition only the pods at or
    /// above it updated (those below keep the old revision by design), else every pod at the update
    /// revision. <c>OnDelete</c> pods change only when deleted: nothing to wait for.
    /// </summary>
    private static RolloutProgress OfStatefulSet(KubeObject statefulSet, JsonObject status)
    {
        if ((string?)statefulSet["spec"]?["updateStrategy"]?["type"] == "OnDelete")
        {
            return new RolloutProgress(true, false, "updateStrategy OnDelete: the template is restored; pods run it when they are deleted, not waited for");
        }

        if (Long(status["observedGeneration"]) == 0)
        {
            return new RolloutProgress(false, false, "waiting for the controller to observe the change");
        }

        var wanted = Long(statefulSet["spec"]?["replicas"], fallback: 1);
        var ready = Long(status["readyReplicas"]);
        var updated = Long(status["updatedReplicas"]);
        if (ready < wanted)
        {
            return new RolloutProgress(false, false, $"{ready}/{wanted} ready, {updated} updated");
        }

        if (statefulSet["spec"]?["updateStrategy"]?["rollingUpdate"] is JsonObject rolling)
        {
            var needed = wanted - Long(rolling["partition"]);
            return updated < needed
                ? new RolloutProgress(false, false, $"partitioned roll out: {updated} out of {needed} new pods updated, {ready} ready")
                : new RolloutProgress(true, false, $"partitioned roll out complete: {updated} new pods updated, {ready} ready");
        }

        var current = (string?)status["currentRevision"];
        var update = (string?)status["updateRevision"];
        return new RolloutProgress(current == update, false, $"{updated}/{wanted} updated, {ready} ready, revision {current} -> {update}");
    }

    /// <summary>kubectl's DaemonSet rule: every scheduled pod updated and available; <c>OnDelete</c> is not waited for.</summary>
    private static RolloutProgress OfDaemonSet(KubeObject daemonSet, JsonObject status)
    {
        if ((string?)daemonSet["spec"]?["updateStrategy"]?["type"] == "OnDelete")
        {
            return new RolloutProgress(true, false, "updateStrategy OnDelete: the template is restored; pods run it when they are deleted, not waited for");
        }

        var desired = Long(status["desiredNumberScheduled"]);
        var updated = Long(status["updatedNumberScheduled"]);
        var available = Long(status["numberAvailable"]);
        return new RolloutProgress(updated >= desired && available >= desired, false, $"{updated}/{desired} updated, {available} available");
    }

    private static long Long(JsonNode? node, long fallback = 0) => JsonNumbers.Long(node, fallback);
}
