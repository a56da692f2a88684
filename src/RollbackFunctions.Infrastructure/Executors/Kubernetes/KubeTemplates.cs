using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;

namespace RollbackFunctions.Infrastructure.Executors.Kubernetes;

/// <summary>Pod templates as the revert compares and restores them.</summary>
public static class KubeTemplates
{
    private const string PodTemplateHash = "pod-template-hash";

    /// <summary>
    /// A template without what controllers add: ReplicaSets carry <c>pod-template-hash</c>, which
    /// <c>kubectl rollout undo</c> strips too; ControllerRevisions carry a <c>$patch</c> directive.
    /// </summary>
    public static JsonObject Normalized(JsonNode? template)
    {
        var copy = template?.DeepClone() as JsonObject ?? [];
        copy.Remove("$patch");
        if (copy["metadata"] is JsonObject metadata)
        {
            (metadata["labels"] as JsonObject)?.Remove(PodTemplateHash);
            if (metadata["creationTimestamp"] is null)
            {
                metadata.Remove("creationTimestamp");
            }
        }

        return copy;
    }

    public static bool Same(JsonNode? a, JsonNode? b) => JsonNode.DeepEquals(Normalized(a), Normalized(b));

    /// <summary>The images a template runs, for details a human reads ("app=registry/checkout:1.4.2").</summary>
    public static string Images(JsonNode? template) =>
        string.Join(", ", (template?["spec"]?["containers"] as JsonArray ?? [])
            .OfType<JsonObject>()
            .Select(c => $"{(string?)c["name"]}={(string?)c["image"]}"));

    /// <summary>An equality selector for listing what a workload owns (<c>spec.selector.matchLabels</c>).</summary>
    public static string SelectorOf(KubeObject workload) =>
        string.Join(",", (workload["spec"]?["selector"]?["matchLabels"] as JsonObject ?? [])
            .Select(label => $"{label.Key}={(string?)label.Value}"));

    public static bool IsOwnedBy(KubeObject child, KubeObject owner) =>
        child.Metadata.OwnerReferences?.Any(o => o.Uid == owner.Metadata.Uid) == true;

    /// <summary>A JSON patch that replaces the template, what <c>kubectl rollout undo</c> sends.</summary>
    public static k8s.Models.V1Patch ReplaceTemplate(JsonObject template) =>
        new(new JsonArray(new JsonObject { ["op"] = "replace", ["path"] = "/spec/template", ["value"] = Normalized(template) }).ToJsonString(), k8s.Models.V1Patch.PatchType.JsonPatch);

    /// <summary>Whether an API failure is the target's answer (404, 403, 422), not a fault to retry.</summary>
    public static bool IsAnswer(Exception e) => e is HttpOperationException http && (int)http.Response.StatusCode is >= 400 and < 500 and not (409 or 429 or 408);
}
