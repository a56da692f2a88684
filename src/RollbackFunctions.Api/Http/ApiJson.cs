using System.Text.Json;
using System.Text.Json.Serialization;

namespace RollbackFunctions.Api.Http;

/// <summary>JSON settings of the public API.</summary>
public static class ApiJson
{
    /// <summary>
    /// Request bodies: camelCase, enums by name, and unknown fields refused so a typo such as
    /// <c>dependson</c> is an error instead of a silently ignored dependency.
    /// </summary>
    public static JsonSerializerOptions Strict { get; } = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase, allowIntegerValues: false) },
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        MaxDepth = 32,
    };

    /// <summary>Replies: camelCase, enums by name, nulls left out.</summary>
    public static JsonSerializerOptions Replies { get; } = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}
