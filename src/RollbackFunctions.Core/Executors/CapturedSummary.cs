using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace RollbackFunctions.Core.Executors;

/// <summary>
/// The one rule for showing captured state (SAFETY.md 10). The state is stored whole, because a
/// revert needs it, but every reply, page, report and audit row shows this summary instead: names,
/// digests, images and revisions, never a ConfigMap's <c>data</c>/<c>binaryData</c> values nor the
/// literal <c>env</c> values of a pod template, which often hold connection strings and tokens.
/// </summary>
public static class CapturedSummary
{
    /// <summary>Fields an executor captures that name or version things, and are shown as they are.</summary>
    private static readonly HashSet<string> Shown = new(StringComparer.Ordinal)
    {
        "cluster", "revision", "stableRS", "images", "chart", "appVersion", "from", "commit", "previousRef",
        "database", "tool", "irreversible", "needsApproval",
    };

    /// <summary>Fields that hold entries by name (a ConfigMap's): the names are shown, the values only as one digest.</summary>
    private static readonly HashSet<string> Entries = new(StringComparer.Ordinal) { "data", "binaryData" };

    /// <summary>The summary of <paramref name="captured"/>, or null when nothing was captured.</summary>
    public static JsonObject? Of(JsonObject? captured)
    {
        if (captured is null)
        {
            return null;
        }

        var summary = new JsonObject();
        foreach (var (name, value) in captured)
        {
            summary[name] = name switch
            {
                _ when Shown.Contains(name) => value?.DeepClone(),
                _ when Entries.Contains(name) && value is JsonObject entries => new JsonObject
                {
                    ["keys"] = new JsonArray(entries.Select(e => (JsonNode?)JsonValue.Create(e.Key)).ToArray()),
                    ["digest"] = Digest(entries),
                },
                "template" when value is JsonObject template => Template(template),
                // A flag's true/false or a number says what the revert returns to and cannot hold a secret.
                _ when value is JsonValue scalar && (scalar.TryGetValue<bool>(out _) || scalar.TryGetValue<double>(out _)) => value.DeepClone(),
                _ when value is null => null,
                _ => Digest(value),
            };
        }

        return summary;
    }

    /// <summary>The summary as one line for an audit row or a log: <c>cluster="prod", revision="1", …</c>.</summary>
    public static string Line(JsonObject? captured, int max = 400)
    {
        if (Of(captured) is not { } summary)
        {
            return "";
        }

        var text = string.Join(", ", summary.Select(pair => $"{pair.Key}={pair.Value?.ToJsonString() ?? "null"}"));
        return text.Length <= max ? text : text[..max] + "…";
    }

    /// <summary>A pod template: its digest and, per container, the name, the image and the names of its env variables.</summary>
    private static JsonObject Template(JsonObject template)
    {
        var spec = template["spec"] as JsonObject;
        JsonArray Containers(string field) => new((spec?[field] as JsonArray ?? []).OfType<JsonObject>().Select(c => (JsonNode?)new JsonObject
        {
            ["name"] = c["name"]?.DeepClone(),
            ["image"] = c["image"]?.DeepClone(),
            ["env"] = new JsonArray((c["env"] as JsonArray ?? []).OfType<JsonObject>().Select(e => (JsonNode?)e["name"]?.DeepClone()).ToArray()),
        }).ToArray());

        return new JsonObject
        {
            ["digest"] = Digest(template),
            ["containers"] = Containers("containers"),
            ["initContainers"] = Containers("initContainers"),
        };
    }

    /// <summary>
    /// One captured value as text for a sentence (a step's detail, a drift summary): true/false and
    /// numbers as they are, anything else as its digest, since a text value may be a secret.
    /// </summary>
    public static string Value(JsonNode? value) => value switch
    {
        null => "null",
        JsonValue scalar when scalar.TryGetValue<bool>(out _) || scalar.TryGetValue<double>(out _) => value.ToJsonString(),
        _ => Digest(value)[..19],
    };

    /// <summary>
    /// A step's params as every reader sees them (the deploy, the registration reply). CI wrote them,
    /// but some carry values that may be secrets: a text flag's <c>previousValue</c>, Terraform
    /// <c>vars</c> (<c>db_password</c>) and <c>backendConfig</c> values (<c>access_key</c>,
    /// <c>sas_token</c>), a webhook URL's user info and query (<c>?token=</c>). Those are shown as
    /// digests; names, targets, refs and paths as they are. The params are stored whole.
    /// </summary>
    public static JsonObject Params(JsonObject parameters)
    {
        var shown = new JsonObject();
        foreach (var (name, value) in parameters)
        {
            shown[name] = (name, value) switch
            {
                ("previousValue", _) => ShownValue(value),
                ("vars", JsonObject vars) => new JsonObject(vars.Select(v => KeyValuePair.Create(v.Key, ShownValue(v.Value)))),
                ("backendConfig", JsonArray settings) => new JsonArray(settings.Select(s => (JsonNode?)JsonValue.Create(Setting(s))).ToArray()),
                ("revertUrl" or "rehearseUrl", JsonValue url) when url.TryGetValue<string>(out var text) => JsonValue.Create(Url(text)),
                _ => value?.DeepClone(),
            };
        }

        return shown;
    }

    /// <summary>true/false and numbers as they are (they cannot hold a secret); anything else as its short digest.</summary>
    private static JsonNode? ShownValue(JsonNode? value) =>
        value is JsonValue scalar && (scalar.TryGetValue<bool>(out _) || scalar.TryGetValue<double>(out _)) ? value.DeepClone() : value is null ? null : JsonValue.Create(Value(value));

    /// <summary><c>key=value</c> with the value as its digest.</summary>
    private static string Setting(JsonNode? setting) =>
        setting is JsonValue text && text.TryGetValue<string>(out var pair) && pair.IndexOf('=', StringComparison.Ordinal) is > 0 and var at
            ? $"{pair[..at]}={Value(JsonValue.Create(pair[(at + 1)..]))}"
            : setting is null ? "null" : Value(setting);

    /// <summary>Scheme, host and path; the user info dropped and the query as its digest.</summary>
    private static string Url(string text) =>
        !Uri.TryCreate(text, UriKind.Absolute, out var uri) ? Value(JsonValue.Create(text))
        : $"{uri.Scheme}://{uri.Authority}{uri.AbsolutePath}{(uri.Query.Length > 1 ? "?" + Value(JsonValue.Create(uri.Query)) : "")}";

    private static string Digest(JsonNode node) =>
        "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(node.ToJsonString())));
}
