using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace RollbackFunctions.Infrastructure.Audit;

/// <summary>
/// Keeps secrets out of audit rows, logs and status replies: every configured secret value
/// (API keys, the audit's HMAC keys, the storage account key, routing keys, webhook URLs, tokens,
/// connection strings, tool environments) is masked wherever it appears, and JSON fields whose
/// names say secret are masked whatever their value. Applied to every audit row, every tool's
/// output, every step's detail (what replies, pages, the report and logs show) and pager errors.
/// </summary>
public sealed partial class SecretRedactor : RollbackFunctions.Core.Ports.IRedactor
{
    private const string Mask = "***";
    private readonly List<string> secrets;

    public SecretRedactor(IEnumerable<string?> knownSecrets) =>
        secrets = knownSecrets.Where(s => s is { Length: >= 6 }).Select(s => s!).Distinct().OrderByDescending(s => s.Length).ToList();

    [GeneratedRegex("(token|secret|password|passwd|routing_?key|api_?key|authorization|signature|webhook_?url)", RegexOptions.IgnoreCase)]
    private static partial Regex SecretName();

    /// <summary>The text with every known secret masked.</summary>
    public string Redact(string text)
    {
        foreach (var secret in secrets)
        {
            text = text.Replace(secret, Mask, StringComparison.Ordinal);
        }

        return text;
    }

    /// <summary>A JSON copy of <paramref name="value"/> with secret-named fields and known secrets masked.</summary>
    public JsonNode? RedactJson(object? value, JsonSerializerOptions options)
    {
        var node = value is null ? null : JsonSerializer.SerializeToNode(value, options);
        return Walk(node);
    }

    private JsonNode? Walk(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (name, child) in obj.ToList())
                {
                    obj[name] = SecretName().IsMatch(name) && child is JsonValue ? JsonValue.Create(Mask) : Walk(child);
                }

                return obj;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    array[i] = Walk(array[i]?.DeepClone());
                }

                return array;
            case JsonValue leaf when leaf.TryGetValue<string>(out var text):
                return JsonValue.Create(Redact(text));
            default:
                return node;
        }
    }
}
