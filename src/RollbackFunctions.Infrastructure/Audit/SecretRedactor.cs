using Microsoft.Extensions.Configuration;
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

    /// <param name="knownSecrets">Each secret; a connection string among them also has its key or password masked on its own.</param>
    public SecretRedactor(IEnumerable<string?> knownSecrets) =>
        secrets = knownSecrets.Where(s => s is { Length: >= 6 }).SelectMany(s => ConnectionStringSecrets(s!).Prepend(s!))
            .Where(s => s.Length >= 6).Distinct().OrderByDescending(s => s.Length).ToList();

    /// <summary>
    /// A redactor for when the configured one cannot be built (its settings fail validation): every
    /// setting whose name says it is secret (<c>Token</c>, <c>Secret</c>, <c>Password</c>, a
    /// <c>ConnectionString</c>, the audit's <c>Keys</c>, the host's storage) is masked, with the
    /// keys and passwords inside connection strings.
    /// </summary>
    public static SecretRedactor FromSettings(IConfiguration configuration) =>
        new(configuration.AsEnumerable()
            .Where(setting => setting.Value is not null && IsSecretSetting(setting.Key))
            .Select(setting => setting.Value));

    /// <summary>The account key, SAS and password parts of a connection string, which errors may quote on their own.</summary>
    public static IEnumerable<string> ConnectionStringSecrets(string connectionString) =>
        connectionString.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(part => part.Split('=', 2))
            .Where(pair => pair.Length == 2 && SecretPart().IsMatch(pair[0].Trim()))
            .Select(pair => pair[1].Trim());

    private static bool IsSecretSetting(string key) =>
        SecretName().IsMatch(key)
        || key.Contains("ConnectionString", StringComparison.OrdinalIgnoreCase)
        || key.StartsWith("AzureWebJobsStorage", StringComparison.OrdinalIgnoreCase)
        || key.StartsWith("Rollback:Audit:Keys:", StringComparison.OrdinalIgnoreCase);

    [GeneratedRegex("^(AccountKey|SharedAccessSignature|Password|Pwd)$", RegexOptions.IgnoreCase)]
    private static partial Regex SecretPart();

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
