using System.Text.Json;

namespace RollbackFunctions.Core.Alerts;

/// <summary>Field readers for webhook bodies that fail with the path of the offending field.</summary>
internal static class Json
{
    public static string RequiredString(JsonElement obj, string name, string? at = null) =>
        OptionalString(obj, name, at) ?? throw new AlertPayloadException($"{Path(at, name)} is required");

    public static string? OptionalString(JsonElement obj, string name, string? at = null)
    {
        if (!obj.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Number => value.GetRawText(),
            _ => throw new AlertPayloadException($"{Path(at, name)} must be a string"),
        };
    }

    /// <summary>Reads an object of string values; absent means empty.</summary>
    public static IReadOnlyDictionary<string, string> StringMap(JsonElement obj, string name, string? at = null)
    {
        if (!obj.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return new Dictionary<string, string>();
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            throw new AlertPayloadException($"{Path(at, name)} must be an object of strings");
        }

        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var property in value.EnumerateObject())
        {
            map[property.Name] = property.Value.ValueKind == JsonValueKind.String
                ? property.Value.GetString()!
                : throw new AlertPayloadException($"{Path(at, name)}.{property.Name} must be a string");
        }

        return map;
    }

    private static string Path(string? at, string name) => at is null ? name : $"{at}.{name}";
}
