using System.Text.Json.Nodes;

namespace RollbackFunctions.Infrastructure.Executors;

/// <summary>Whole numbers out of JSON nodes, whether parsed from text or built in code (an int node is not a long one to System.Text.Json).</summary>
public static class JsonNumbers
{
    public static bool TryLong(JsonNode? node, out long number)
    {
        number = 0;
        if (node is not JsonValue value)
        {
            return false;
        }

        if (value.TryGetValue(out long asLong))
        {
            number = asLong;
            return true;
        }

        if (value.TryGetValue(out int asInt))
        {
            number = asInt;
            return true;
        }

        return false;
    }

    public static long Long(JsonNode? node, long fallback = 0) => TryLong(node, out var number) ? number : fallback;
}
