using System.Text.Json.Nodes;

namespace RollbackFunctions.Testing;

/// <summary>RFC 6902 JSON patch (add, replace, remove, test) and RFC 7386 merge patch over JsonNode, for the fake API server.</summary>
public static class JsonPatches
{
    /// <summary>Applies a JSON patch; false when a <c>test</c> op fails or a path is missing (the API answers 422).</summary>
    public static bool TryApplyJsonPatch(JsonObject target, JsonArray operations)
    {
        foreach (var op in operations.OfType<JsonObject>())
        {
            var segments = ((string)op["path"]!).Split('/').Skip(1).Select(s => s.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)).ToArray();
            var parent = Walk(target, segments[..^1]);
            var last = segments[^1];
            switch ((string?)op["op"])
            {
                case "test":
                    if (!JsonNode.DeepEquals(parent?[last], op["value"]))
                    {
                        return false;
                    }

                    break;
                case "add" or "replace" when parent is JsonObject obj:
                    obj[last] = op["value"]?.DeepClone();
                    break;
                case "remove" when parent is JsonObject obj && obj.ContainsKey(last):
                    obj.Remove(last);
                    break;
                default:
                    return false;
            }
        }

        return true;
    }

    /// <summary>Applies a merge patch: objects merge, null removes, anything else replaces.</summary>
    public static void ApplyMergePatch(JsonObject target, JsonObject patch)
    {
        foreach (var (key, value) in patch.ToList())
        {
            if (value is null)
            {
                target.Remove(key);
            }
            else if (value is JsonObject patchObject && target[key] is JsonObject targetObject)
            {
                ApplyMergePatch(targetObject, patchObject);
            }
            else
            {
                target[key] = value.DeepClone();
            }
        }
    }

    private static JsonNode? Walk(JsonNode? node, IEnumerable<string> segments)
    {
        foreach (var segment in segments)
        {
            node = node switch
            {
                JsonObject obj => obj[segment],
                JsonArray array when int.TryParse(segment, out var index) && index < array.Count => array[index],
                _ => null,
            };
        }

        return node;
    }
}
