using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using RollbackFunctions.Infrastructure.Executors;

namespace RollbackFunctions.Testing;

/// <summary>The fake's controller: revisions when a template changes, rollout status; and seeding for tests.</summary>
public sealed partial class FakeKubernetesApi
{
    private const string Apps = "/apis/apps/v1";
    private const string Argo = "/apis/argoproj.io/v1alpha1";
    private const string RevisionAnnotation = "deployment.kubernetes.io/revision";

    /// <summary>A pod template running <paramref name="image"/> for the app <paramref name="app"/>.</summary>
    public static JsonObject Template(string app, string image) => new()
    {
        ["metadata"] = new JsonObject { ["labels"] = new JsonObject { ["app"] = app } },
        ["spec"] = new JsonObject
        {
            ["containers"] = new JsonArray(new JsonObject
            {
                ["name"] = "app",
                ["image"] = image,
                ["ports"] = new JsonArray(new JsonObject { ["containerPort"] = 8080, ["protocol"] = "TCP" }),
            }),
        },
    };

    /// <summary>
    /// A Deployment, StatefulSet or DaemonSet (<paramref name="plural"/>) that ran each image in turn:
    /// one revision per image, the last one current and rolled out.
    /// </summary>
    public void SeedWorkload(string plural, string ns, string name, int replicas, params string[] images)
    {
        lock (gate)
        {
            var workload = new JsonObject
            {
                ["apiVersion"] = "apps/v1",
                ["kind"] = Kinds[plural].Kind,
                ["metadata"] = Metadata(ns, name, new JsonObject { ["app"] = name }),
                ["spec"] = new JsonObject
                {
                    ["replicas"] = replicas,
                    ["selector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["app"] = name } },
                    ["template"] = Template(name, images[0]),
                },
                ["status"] = new JsonObject(),
            };
            objects[Key(Apps, ns, plural, name)] = workload;
            OnTemplateChanged(Apps, ns, plural, name, workload);
        }

        foreach (var image in images.Skip(1))
        {
            SetImage(plural, ns, name, image);
        }

        rolloutDoneAt[Key(Apps, ns, plural, name)] = DateTimeOffset.MinValue;
    }

    /// <summary>What CI's deploy does: a new image in the pod template, through the controller.</summary>
    public void SetImage(string plural, string ns, string name, string image)
    {
        lock (gate)
        {
            var key = Key(Apps, ns, plural, name);
            var after = objects[key].DeepClone().AsObject();
            after["spec"]!["template"]!["spec"]!["containers"]![0]!["image"] = image;
            Store(Apps, ns, plural, name, objects[key], after);
        }
    }

    /// <summary>A deploy that sets literal <c>env</c> values on the first container, through the controller (a new revision).</summary>
    public void SetEnv(string plural, string ns, string name, IReadOnlyDictionary<string, string> env)
    {
        lock (gate)
        {
            var key = Key(Apps, ns, plural, name);
            var after = objects[key].DeepClone().AsObject();
            after["spec"]!["template"]!["spec"]!["containers"]![0]!["env"] = new JsonArray(env.Select(e => (JsonNode?)new JsonObject { ["name"] = e.Key, ["value"] = e.Value }).ToArray());
            Store(Apps, ns, plural, name, objects[key], after);
        }
    }

    public void SeedConfigMap(string ns, string name, IReadOnlyDictionary<string, string> data)
    {
        lock (gate)
        {
            objects[Key("/api/v1", ns, "configmaps", name)] = new JsonObject
            {
                ["apiVersion"] = "v1",
                ["kind"] = "ConfigMap",
                ["metadata"] = Metadata(ns, name, new JsonObject()),
                ["data"] = new JsonObject(data.Select(d => KeyValuePair.Create(d.Key, (JsonNode?)d.Value))),
            };
        }
    }

    /// <summary>What CI's config change does.</summary>
    public void SetConfigMapData(string ns, string name, IReadOnlyDictionary<string, string> data)
    {
        lock (gate)
        {
            var stored = objects[Key("/api/v1", ns, "configmaps", name)];
            stored["data"] = new JsonObject(data.Select(d => KeyValuePair.Create(d.Key, (JsonNode?)d.Value)));
            Bump(stored);
        }
    }

    /// <summary>
    /// A custom object with the given spec, as its controller's CRD stores it (Argo CD Applications,
    /// Flux Kustomizations and HelmReleases); <paramref name="apiPrefix"/> is e.g. <c>/apis/argoproj.io/v1alpha1</c>.
    /// </summary>
    public void SeedCustomObject(string apiPrefix, string plural, string kind, string ns, string name, JsonObject spec)
    {
        lock (gate)
        {
            objects[Key(apiPrefix, ns, plural, name)] = new JsonObject
            {
                ["apiVersion"] = apiPrefix["/apis/".Length..],
                ["kind"] = kind,
                ["metadata"] = Metadata(ns, name, new JsonObject()),
                ["spec"] = spec,
            };
        }
    }

    private JsonObject Metadata(string ns, string name, JsonObject labels) => new()
    {
        ["name"] = name,
        ["namespace"] = ns,
        ["uid"] = Guid.NewGuid().ToString(),
        ["resourceVersion"] = Interlocked.Increment(ref resourceVersion).ToString(CultureInfo.InvariantCulture),
        ["generation"] = 1,
        ["creationTimestamp"] = "2026-11-20T10:00:00Z",
        ["labels"] = labels,
    };

    /// <summary>The controllers' reaction to a new pod template.</summary>
    private void OnTemplateChanged(string prefix, string ns, string plural, string name, JsonObject owner)
    {
        var key = Key(prefix, ns, plural, name);
        if (plural == "rollouts")
        {
            OnRolloutTemplateChanged(key, owner);
            return;
        }

        var deployment = plural == "deployments";
        var childPlural = deployment ? "replicasets" : "controllerrevisions";
        var template = Normalized(owner["spec"]!["template"]);
        var uid = (string)owner["metadata"]!["uid"]!;
        var owned = objects.Where(o => o.Key.StartsWith(Key(Apps, ns, childPlural, ""), StringComparison.Ordinal)
                && o.Value["metadata"]!["ownerReferences"]?[0]?["uid"]?.GetValue<string>() == uid)
            .Select(o => o.Value)
            .ToList();
        var next = owned.Select(RevisionOf).DefaultIfEmpty(0).Max() + 1;
        var reused = owned.FirstOrDefault(child => JsonNode.DeepEquals(Normalized(deployment ? child["spec"]!["template"] : child["data"]!["spec"]!["template"]), template));
        var hash = Hash(template);
        var child = reused ?? NewChild(ns, name, owner, deployment, template, hash);
        if (deployment)
        {
            child["metadata"]!["annotations"]![RevisionAnnotation] = next.ToString(CultureInfo.InvariantCulture);
            owner["metadata"]!["annotations"] ??= new JsonObject();
            owner["metadata"]!["annotations"]![RevisionAnnotation] = next.ToString(CultureInfo.InvariantCulture);
        }
        else
        {
            child["revision"] = next;
            owner["status"] ??= new JsonObject();
            owner["status"]!["updateRevision"] = (string)child["metadata"]!["name"]!;
        }

        Bump(child);
        objects[Key(Apps, ns, childPlural, (string)child["metadata"]!["name"]!)] = child;
        rolloutDoneAt[key] = DateTimeOffset.UtcNow + RolloutTime;
    }

    private JsonObject NewChild(string ns, string name, JsonObject owner, bool deployment, JsonObject template, string hash)
    {
        var labels = (owner["spec"]!["selector"]!["matchLabels"]!.DeepClone() as JsonObject)!;
        var metadata = Metadata(ns, $"{name}-{hash}", labels);
        metadata["annotations"] = new JsonObject();
        metadata["ownerReferences"] = new JsonArray(new JsonObject
        {
            ["apiVersion"] = "apps/v1",
            ["kind"] = (string)owner["kind"]!,
            ["name"] = name,
            ["uid"] = (string)owner["metadata"]!["uid"]!,
            ["controller"] = true,
        });
        if (!deployment)
        {
            var patch = template.DeepClone().AsObject();
            patch["$patch"] = "replace";
            return new JsonObject
            {
                ["apiVersion"] = "apps/v1",
                ["kind"] = "ControllerRevision",
                ["metadata"] = metadata,
                ["data"] = new JsonObject { ["spec"] = new JsonObject { ["template"] = patch } },
            };
        }

        labels["pod-template-hash"] = hash;
        var stamped = template.DeepClone().AsObject();
        stamped["metadata"]!["labels"]!["pod-template-hash"] = hash;
        return new JsonObject
        {
            ["apiVersion"] = "apps/v1",
            ["kind"] = "ReplicaSet",
            ["metadata"] = metadata,
            ["spec"] = new JsonObject
            {
                ["replicas"] = 0,
                ["selector"] = new JsonObject { ["matchLabels"] = labels.DeepClone() },
                ["template"] = stamped,
            },
        };
    }

    /// <summary>The status a reader sees now: rolled out once the rollout time has passed, unless the workload never becomes available.</summary>
    private void RefreshStatus(string prefix, string plural, JsonObject obj)
    {
        if (prefix == Argo && plural == "applications")
        {
            AdvanceApplication((string)obj["metadata"]!["namespace"]!, (string)obj["metadata"]!["name"]!, obj);
            return;
        }

        if (prefix == Argo && plural == "rollouts")
        {
            AdvanceRollout(Key(prefix, (string)obj["metadata"]!["namespace"]!, plural, (string)obj["metadata"]!["name"]!), obj);
            return;
        }

        if (prefix != Apps || plural is not ("deployments" or "statefulsets" or "daemonsets"))
        {
            return;
        }

        var ns = (string)obj["metadata"]!["namespace"]!;
        var name = (string)obj["metadata"]!["name"]!;
        var generation = JsonNumbers.Long(obj["metadata"]!["generation"], 1);
        var replicas = JsonNumbers.Long(obj["spec"]!["replicas"], 1);
        var done = !NeverAvailable.ContainsKey($"{ns}/{name}") && rolloutDoneAt.TryGetValue(Key(prefix, ns, plural, name), out var at) && at <= DateTimeOffset.UtcNow;
        var status = obj["status"] as JsonObject ?? [];
        status["observedGeneration"] = generation;
        switch (plural)
        {
            case "deployments":
                status["replicas"] = done ? replicas : replicas + 1;
                status["updatedReplicas"] = done ? replicas : 1;
                status["readyReplicas"] = done ? replicas : replicas - 1;
                status["availableReplicas"] = done ? replicas : replicas - 1;
                status["conditions"] = new JsonArray(
                    new JsonObject { ["type"] = "Available", ["status"] = "True", ["reason"] = "MinimumReplicasAvailable" },
                    NeverAvailable.TryGetValue($"{ns}/{name}", out var message) && message is not null
                        ? new JsonObject { ["type"] = "Progressing", ["status"] = "False", ["reason"] = "ProgressDeadlineExceeded", ["message"] = message }
                        : new JsonObject { ["type"] = "Progressing", ["status"] = "True", ["reason"] = done ? "NewReplicaSetAvailable" : "ReplicaSetUpdated" });
                break;
            case "statefulsets":
                status["replicas"] = replicas;
                status["readyReplicas"] = done ? replicas : replicas - 1;
                status["updatedReplicas"] = done ? replicas : 1;
                status["currentRevision"] = done ? status["updateRevision"]?.DeepClone() : "previous";
                break;
            default:
                status["desiredNumberScheduled"] = 3;
                status["updatedNumberScheduled"] = done ? 3 : 1;
                status["numberAvailable"] = done ? 3 : 2;
                break;
        }

        obj["status"] = status;
    }

    private static long RevisionOf(JsonObject child) =>
        JsonNumbers.TryLong(child["revision"], out var r) ? r : (long.TryParse((string?)child["metadata"]?["annotations"]?[RevisionAnnotation], out var n) ? n : 0);

    private static JsonObject Normalized(JsonNode? template)
    {
        var copy = template?.DeepClone() as JsonObject ?? [];
        copy.Remove("$patch");
        (copy["metadata"]?["labels"] as JsonObject)?.Remove("pod-template-hash");
        return copy;
    }

    private static string Hash(JsonNode template) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(Normalized(template).ToJsonString())))[..10].ToLowerInvariant();
}
