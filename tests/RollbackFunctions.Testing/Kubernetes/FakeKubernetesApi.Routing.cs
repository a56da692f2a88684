using System.Globalization;
using System.Text.Json.Nodes;
using RollbackFunctions.Infrastructure.Executors;
using System.Text.RegularExpressions;

namespace RollbackFunctions.Testing;

/// <summary>The API paths: discovery, list, get, replace, patch (JSON, merge, strategic merge), status.</summary>
public sealed partial class FakeKubernetesApi
{
    private static readonly Dictionary<string, (string Kind, string Prefix)> Kinds = new()
    {
        ["deployments"] = ("Deployment", "/apis/apps/v1"),
        ["statefulsets"] = ("StatefulSet", "/apis/apps/v1"),
        ["daemonsets"] = ("DaemonSet", "/apis/apps/v1"),
        ["replicasets"] = ("ReplicaSet", "/apis/apps/v1"),
        ["controllerrevisions"] = ("ControllerRevision", "/apis/apps/v1"),
        ["configmaps"] = ("ConfigMap", "/api/v1"),
        ["pods"] = ("Pod", "/api/v1"),
        ["rollouts"] = ("Rollout", "/apis/argoproj.io/v1alpha1"),
        ["applications"] = ("Application", "/apis/argoproj.io/v1alpha1"),
        ["kustomizations"] = ("Kustomization", "/apis/kustomize.toolkit.fluxcd.io/v1"),
        ["helmreleases"] = ("HelmRelease", "/apis/helm.toolkit.fluxcd.io/v2"),
    };

    [GeneratedRegex("^(?<prefix>/api/v1|/apis/[^/]+/[^/]+)/namespaces/(?<ns>[^/]+)/(?<plural>[^/]+)(/(?<name>[^/]+)(/(?<sub>status))?)?$")]
    private static partial Regex ObjectPath();

    private (int Status, JsonNode Reply) Route(string method, string path, string labelSelector, string contentType, string body, bool dryRun = false)
    {
        if (method == "GET" && Discovery(path) is { } discovery)
        {
            return (200, discovery);
        }

        var match = ObjectPath().Match(path);
        if (!match.Success || !Kinds.TryGetValue(match.Groups["plural"].Value, out var kind) || kind.Prefix != match.Groups["prefix"].Value)
        {
            return (404, Status(404, $"the server could not find the requested resource ({path})"));
        }

        var (prefix, ns, plural, name) = (kind.Prefix, match.Groups["ns"].Value, match.Groups["plural"].Value, match.Groups["name"].Value);
        lock (gate)
        {
            if (name.Length == 0)
            {
                return method == "GET" ? (200, List(prefix, ns, plural, kind.Kind, labelSelector)) : (405, Status(405, "method not allowed"));
            }

            if (!objects.TryGetValue(Key(prefix, ns, plural, name), out var stored))
            {
                return (404, Status(404, $"{plural} \"{name}\" not found"));
            }

            return method switch
            {
                "GET" => (200, Refreshed(prefix, plural, stored)),
                "PUT" => Replace(prefix, ns, plural, name, stored, JsonNode.Parse(body)!.AsObject()),
                "PATCH" => Patch(prefix, ns, plural, name, stored, contentType, body, statusOnly: match.Groups["sub"].Success, dryRun),
                _ => (405, Status(405, "method not allowed")),
            };
        }
    }

    private JsonObject Refreshed(string prefix, string plural, JsonObject stored)
    {
        RefreshStatus(prefix, plural, stored);
        return stored.DeepClone().AsObject();
    }

    private JsonObject List(string prefix, string ns, string plural, string kind, string labelSelector)
    {
        var wanted = labelSelector.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(pair => pair.Split('=', 2)).ToList();
        var items = objects
            .Where(o => o.Key.StartsWith(Key(prefix, ns, plural, ""), StringComparison.Ordinal))
            .Select(o => o.Value)
            .Where(o => wanted.All(w => (string?)o["metadata"]?["labels"]?[w[0]] == w[1]))
            .Select(o => Refreshed(prefix, plural, o))
            .ToArray<JsonNode?>();
        return new JsonObject
        {
            ["kind"] = kind + "List",
            ["apiVersion"] = prefix.StartsWith("/apis/", StringComparison.Ordinal) ? prefix["/apis/".Length..] : "v1",
            ["metadata"] = new JsonObject { ["resourceVersion"] = resourceVersion.ToString(CultureInfo.InvariantCulture) },
            ["items"] = new JsonArray(items),
        };
    }

    private (int, JsonNode) Replace(string prefix, string ns, string plural, string name, JsonObject stored, JsonObject replacement)
    {
        if ((string?)replacement["metadata"]?["resourceVersion"] != (string?)stored["metadata"]!["resourceVersion"])
        {
            return (409, Status(409, $"Operation cannot be fulfilled on {plural} \"{name}\": the object has been modified; please apply your changes to the latest version and try again"));
        }

        foreach (var kept in new[] { "uid", "creationTimestamp", "generation" })
        {
            replacement["metadata"]![kept] = stored["metadata"]![kept]?.DeepClone();
        }

        if (!StatusInMainResource(plural))
        {
            replacement["status"] = stored["status"]?.DeepClone();
        }

        return (200, Store(prefix, ns, plural, name, stored, replacement));
    }

    /// <param name="dryRun"><c>?dryRun=All</c>: the patched object is answered, as the API server's server-side dry run does, and nothing is stored.</param>
    private (int, JsonNode) Patch(string prefix, string ns, string plural, string name, JsonObject stored, string contentType, string body, bool statusOnly, bool dryRun = false)
    {
        var patched = stored.DeepClone().AsObject();
        var media = contentType.Split(';')[0].Trim();
        if (media == "application/json-patch+json")
        {
            if (!JsonPatches.TryApplyJsonPatch(patched, JsonNode.Parse(body)!.AsArray()))
            {
                return (422, Status(422, "the JSON patch could not be applied"));
            }
        }
        else if (media is "application/merge-patch+json" or "application/strategic-merge-patch+json")
        {
            var patch = JsonNode.Parse(body)!.AsObject();
            JsonPatches.ApplyMergePatch(patched, statusOnly ? StatusPart(patch) : patch);
        }
        else
        {
            return (415, Status(415, $"the body of the request was in an unknown format: {contentType}"));
        }

        // As the API server does for every patch type: a resourceVersion the patch sets is a
        // precondition, checked against the stored object (optimistic concurrency).
        if ((string?)patched["metadata"]?["resourceVersion"] != (string?)stored["metadata"]!["resourceVersion"])
        {
            return (409, Status(409, $"Operation cannot be fulfilled on {plural} \"{name}\": the object has been modified; please apply your changes to the latest version and try again"));
        }

        if (dryRun)
        {
            patched["status"] = stored["status"]?.DeepClone();
            return (200, patched);
        }

        if (statusOnly)
        {
            stored["status"] = patched["status"]?.DeepClone();
            if (plural == "rollouts")
            {
                ReactToRolloutStatus(Key(prefix, ns, plural, name), stored);
            }

            Bump(stored);
            return (200, stored.DeepClone());
        }

        if (!StatusInMainResource(plural))
        {
            patched["status"] = stored["status"]?.DeepClone();
        }

        return (200, Store(prefix, ns, plural, name, stored, patched));
    }

    /// <summary>What a patch of the status subresource may change: the status, and a resourceVersion precondition.</summary>
    private static JsonObject StatusPart(JsonObject patch)
    {
        var part = new JsonObject { ["status"] = patch["status"]?.DeepClone() };
        if (patch["metadata"]?["resourceVersion"] is { } precondition)
        {
            part["metadata"] = new JsonObject { ["resourceVersion"] = precondition.DeepClone() };
        }

        return part;
    }

    /// <summary>Argo CD's Application CRD has no status subresource: its server and controller write status with the object.</summary>
    private static bool StatusInMainResource(string plural) => plural == "applications";

    /// <summary>Stores a new version: resourceVersion always, generation when the spec changed, then the controller reacts.</summary>
    private JsonObject Store(string prefix, string ns, string plural, string name, JsonObject before, JsonObject after)
    {
        var specChanged = !JsonNode.DeepEquals(before["spec"], after["spec"]);
        if (specChanged)
        {
            after["metadata"]!["generation"] = (JsonNumbers.Long(before["metadata"]!["generation"], 1)) + 1;
        }

        Bump(after);
        objects[Key(prefix, ns, plural, name)] = after;
        if (plural == "applications")
        {
            ReconcileApplicationSet(name, after);
        }

        if (specChanged && !JsonNode.DeepEquals(before["spec"]?["template"], after["spec"]?["template"]))
        {
            OnTemplateChanged(prefix, ns, plural, name, after);
        }

        return Refreshed(prefix, plural, after);
    }

    private void Bump(JsonObject obj) =>
        obj["metadata"]!["resourceVersion"] = Interlocked.Increment(ref resourceVersion).ToString(CultureInfo.InvariantCulture);

    private static JsonObject? Discovery(string path) => path switch
    {
        "/version" => new JsonObject { ["major"] = "1", ["minor"] = "31", ["gitVersion"] = "v1.31.0-fake", ["platform"] = "linux/amd64" },
        "/api" => new JsonObject { ["kind"] = "APIVersions", ["versions"] = new JsonArray("v1"), ["serverAddressByClientCIDRs"] = new JsonArray() },
        "/apis" => new JsonObject
        {
            ["kind"] = "APIGroupList",
            ["apiVersion"] = "v1",
            ["groups"] = new JsonArray(Group("apps", "v1"), Group("argoproj.io", "v1alpha1"), Group("kustomize.toolkit.fluxcd.io", "v1"), Group("helm.toolkit.fluxcd.io", "v2")),
        },
        "/api/v1" => Resources("v1", ("configmaps", "ConfigMap")),
        "/apis/apps/v1" => Resources("apps/v1", ("deployments", "Deployment"), ("statefulsets", "StatefulSet"), ("daemonsets", "DaemonSet"), ("replicasets", "ReplicaSet"), ("controllerrevisions", "ControllerRevision")),
        "/apis/argoproj.io/v1alpha1" => Resources("argoproj.io/v1alpha1", ("rollouts", "Rollout"), ("applications", "Application")),
        "/apis/kustomize.toolkit.fluxcd.io/v1" => Resources("kustomize.toolkit.fluxcd.io/v1", ("kustomizations", "Kustomization")),
        "/apis/helm.toolkit.fluxcd.io/v2" => Resources("helm.toolkit.fluxcd.io/v2", ("helmreleases", "HelmRelease")),
        _ => null,
    };

    private static JsonObject Group(string name, string version)
    {
        var groupVersion = new JsonObject { ["groupVersion"] = $"{name}/{version}", ["version"] = version };
        return new JsonObject { ["name"] = name, ["versions"] = new JsonArray(groupVersion), ["preferredVersion"] = groupVersion.DeepClone() };
    }

    private static JsonObject Resources(string groupVersion, params (string Plural, string Kind)[] resources) => new()
    {
        ["kind"] = "APIResourceList",
        ["apiVersion"] = "v1",
        ["groupVersion"] = groupVersion,
        ["resources"] = new JsonArray(resources.Select(r => (JsonNode)new JsonObject
        {
            ["name"] = r.Plural,
            ["singularName"] = r.Kind.ToLowerInvariant(),
            ["namespaced"] = true,
            ["kind"] = r.Kind,
            ["verbs"] = new JsonArray("get", "list", "patch", "update", "watch"),
        }).ToArray()),
    };
}
