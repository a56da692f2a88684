using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace RollbackFunctions.Infrastructure.Executors.Kubernetes;

/// <summary>
/// Any Kubernetes object with its body as JSON: one shape for Deployments, StatefulSets,
/// DaemonSets, ReplicaSets, ControllerRevisions and ConfigMaps, so the executors compare and
/// restore templates and data as the API sent them, field for field.
/// </summary>
public sealed class KubeObject : IKubernetesObject<V1ObjectMeta>
{
    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = "";

    [JsonPropertyName("kind")]
    public string Kind { get; set; } = "";

    [JsonPropertyName("metadata")]
    public V1ObjectMeta Metadata { get; set; } = new();

    /// <summary>spec, status, data, binaryData, revision: everything but the above.</summary>
    [JsonExtensionData]
    public JsonObject Body { get; set; } = [];

    public JsonNode? this[string field] => Body[field];

    /// <summary>One annotation's value, or null.</summary>
    public string? Annotation(string key) => Metadata.Annotations is { } annotations && annotations.TryGetValue(key, out var value) ? value : null;
}

/// <summary>A list of <see cref="KubeObject"/>s.</summary>
public sealed class KubeObjectList : IKubernetesObject<V1ListMeta>, IItems<KubeObject>
{
    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = "";

    [JsonPropertyName("kind")]
    public string Kind { get; set; } = "";

    [JsonPropertyName("metadata")]
    public V1ListMeta Metadata { get; set; } = new();

    [JsonPropertyName("items")]
    public IList<KubeObject> Items { get; set; } = [];
}
