using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace RollbackFunctions.Infrastructure.Executors;

/// <summary>
/// Reads a step's <c>params</c> for an executor's validation: every accessor either returns the
/// value or records a problem that names the field, so one pass reports everything wrong.
/// </summary>
public sealed partial class StepParams(JsonObject parameters)
{
    private readonly List<string> problems = [];

    /// <summary>All problems, one sentence, or null when the params are valid.</summary>
    public string? Problem => problems.Count == 0 ? null : string.Join("; ", problems);

    public void Add(string field, string problem) => problems.Add($"params.{field} {problem}");

    /// <summary>Refuses fields the executor does not know: a typo such as <c>namspace</c> must not be ignored.</summary>
    public StepParams OnlyKnown(params string[] fields)
    {
        foreach (var unknown in parameters.Select(p => p.Key).Where(key => !fields.Contains(key, StringComparer.Ordinal)))
        {
            problems.Add($"params.{Shorten(unknown)} is not a parameter of this kind (known: {string.Join(", ", fields)})");
        }

        return this;
    }

    /// <summary>A string, or null (and a problem when <paramref name="required"/>).</summary>
    public string? Text(string field, bool required = true)
    {
        switch (parameters[field])
        {
            case null when !required:
                return null;
            case JsonValue value when value.TryGetValue<string>(out var text) && text.Length > 0:
                if (text.Any(char.IsControl))
                {
                    Add(field, "must not contain control characters");
                    return null;
                }

                return text;
            default:
                Add(field, required ? "is required (a non-empty string)" : "must be a non-empty string");
                return null;
        }
    }

    /// <summary>A string that must match <paramref name="shape"/>, described for the error by <paramref name="rule"/>.</summary>
    public string? Matching(string field, Regex shape, string rule, bool required = true)
    {
        var text = Text(field, required);
        if (text is not null && !shape.IsMatch(text))
        {
            Add(field, $"'{Shorten(text)}' {rule}");
            return null;
        }

        return text;
    }

    public bool Flag(string field)
    {
        switch (parameters[field])
        {
            case null:
                return false;
            case JsonValue value when value.TryGetValue<bool>(out var flag):
                return flag;
            default:
                Add(field, "must be true or false");
                return false;
        }
    }

    public long? Number(string field, long min, long max)
    {
        switch (parameters[field])
        {
            case null:
                return null;
            case var node when JsonNumbers.TryLong(node, out var number) && number >= min && number <= max:
                return number;
            default:
                Add(field, $"must be a whole number from {min} to {max}");
                return null;
        }
    }

    /// <summary>A list of strings, each checked against <paramref name="shape"/>; empty when absent.</summary>
    public IReadOnlyList<string> List(string field, Regex shape, string rule)
    {
        switch (parameters[field])
        {
            case null:
                return [];
            case JsonArray array when array.All(item => item is JsonValue v && v.TryGetValue<string>(out var s) && shape.IsMatch(s)):
                return array.Select(item => item!.GetValue<string>()).ToList();
            default:
                Add(field, $"must be a list of names that each {rule}");
                return [];
        }
    }

    /// <summary>An object of plain string, number or boolean values; empty when absent.</summary>
    public IReadOnlyDictionary<string, string> PlainValues(string field, Regex keyShape)
    {
        if (parameters[field] is null)
        {
            return new Dictionary<string, string>();
        }

        if (parameters[field] is not JsonObject values
            || values.Any(pair => !keyShape.IsMatch(pair.Key) || pair.Value is not JsonValue value || value.GetValueKind() is not (System.Text.Json.JsonValueKind.String or System.Text.Json.JsonValueKind.Number or System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False)))
        {
            Add(field, "must be an object of plain values (strings, numbers, booleans) with simple names");
            return new Dictionary<string, string>();
        }

        return values.ToDictionary(pair => pair.Key, pair => pair.Value is JsonValue v && v.TryGetValue<string>(out var s) ? s : pair.Value!.ToJsonString());
    }

    /// <summary>A relative path that stays inside its root: not rooted, no <c>..</c>, <c>.</c> or empty segments.</summary>
    public string? RelativePath(string field, bool required = true)
    {
        var path = Matching(field, SafeRelativePath(), "must be a relative path of letters, digits, '.', '_', '-' and '/'", required);
        if (path is not null && path.Split('/').Any(segment => segment is "" or "." or ".."))
        {
            Add(field, $"'{Shorten(path)}' must not contain '..', '.' or empty segments");
            return null;
        }

        return path;
    }

    private static string Shorten(string text) => text.Length <= 80 ? text : text[..80] + "…";

    [GeneratedRegex("^[A-Za-z0-9._-][A-Za-z0-9._/-]{0,254}$")]
    private static partial Regex SafeRelativePath();
}
