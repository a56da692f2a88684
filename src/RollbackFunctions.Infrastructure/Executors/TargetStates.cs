using System.Text.Json.Nodes;
using RollbackFunctions.Core.Executors;

namespace RollbackFunctions.Infrastructure.Executors;

/// <summary>
/// How the executors turn what they read into <see cref="TargetState"/>s for the three-state rule:
/// readable parts as they are, anything that may be secret as a digest of its canonical JSON.
/// </summary>
public static class TargetStates
{
    /// <summary>A digest of a JSON value with object keys sorted, so two reads of one object compare equal.</summary>
    public static string Digest(JsonNode? node) => TargetState.Digest(Canonical(node)?.ToJsonString() ?? "null");

    /// <summary>A pod template's state: its images shown, the whole template as a digest.</summary>
    public static TargetState OfPodTemplate(JsonNode? template) => new()
    {
        Shown = (template?["spec"]?["containers"] as JsonArray ?? [])
            .OfType<JsonObject>()
            .ToDictionary(c => $"image {(string?)c["name"]}", c => (string?)c["image"] ?? "", StringComparer.Ordinal),
        Hidden = new Dictionary<string, string> { ["pod template"] = Digest(Kubernetes.KubeTemplates.Normalized(template)) },
    };

    /// <summary>The tag of an image reference (<c>registry:5000/checkout:1.4.2@sha256:…</c> → <c>1.4.2</c>), or null.</summary>
    public static string? ImageTag(string image)
    {
        var name = image.Split('@')[0];
        var colon = name.LastIndexOf(':');
        return colon > name.LastIndexOf('/') ? name[(colon + 1)..] : null;
    }

    private static JsonNode? Canonical(JsonNode? node) => node switch
    {
        JsonObject obj => new JsonObject(obj.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => KeyValuePair.Create(p.Key, Canonical(p.Value)))),
        JsonArray array => new JsonArray(array.Select(Canonical).ToArray()),
        _ => node?.DeepClone(),
    };
}
