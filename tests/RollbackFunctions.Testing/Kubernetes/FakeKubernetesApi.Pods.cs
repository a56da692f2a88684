using System.Text.Json.Nodes;
using RollbackFunctions.Infrastructure.Executors;

namespace RollbackFunctions.Testing;

/// <summary>Pods, for what a rollout status cannot say: which pod holds a StatefulSet back.</summary>
public sealed partial class FakeKubernetesApi
{
    /// <summary>
    /// kubernetes/kubernetes#67250: a StatefulSet under <c>OrderedReady</c> whose pod
    /// <paramref name="ordinal"/>, at the revision the bad deploy rolled out, never becomes Ready
    /// (<paramref name="reason"/>). The controller waits for it before replacing it, so no later
    /// revision (a rollback's included) ever rolls out; the other pods are Ready at the revision
    /// before. Seeds the pods as the controller left them.
    /// </summary>
    public void StickStatefulSetPod(string ns, string name, int ordinal, string reason = "CrashLoopBackOff")
    {
        lock (gate)
        {
            var set = objects[Key(Apps, ns, "statefulsets", name)];
            var bad = (string)set["status"]!["updateRevision"]!;
            NeverAvailable[$"{ns}/{name}"] = null;
            for (var i = 0; i < JsonNumbers.Long(set["spec"]!["replicas"], 1); i++)
            {
                var stuck = i == ordinal;
                var labels = new JsonObject { ["app"] = name, ["controller-revision-hash"] = stuck ? bad : $"{name}-before", ["statefulset.kubernetes.io/pod-name"] = $"{name}-{i}" };
                objects[Key("/api/v1", ns, "pods", $"{name}-{i}")] = new JsonObject
                {
                    ["apiVersion"] = "v1",
                    ["kind"] = "Pod",
                    ["metadata"] = Metadata(ns, $"{name}-{i}", labels),
                    ["status"] = new JsonObject
                    {
                        ["phase"] = "Running",
                        ["conditions"] = new JsonArray(new JsonObject { ["type"] = "Ready", ["status"] = stuck ? "False" : "True" }),
                        ["containerStatuses"] = new JsonArray(new JsonObject
                        {
                            ["name"] = "app",
                            ["ready"] = !stuck,
                            ["restartCount"] = stuck ? 7 : 0,
                            ["state"] = stuck
                                ? new JsonObject { ["waiting"] = new JsonObject { ["reason"] = reason, ["message"] = "back-off 5m0s restarting failed container=app" } }
                                : new JsonObject { ["running"] = new JsonObject { ["startedAt"] = "2026-11-20T10:00:00Z" } },
                        }),
                    },
                };
            }
        }
    }
}
