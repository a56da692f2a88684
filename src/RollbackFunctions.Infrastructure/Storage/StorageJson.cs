using System.Text.Json;
using System.Text.Json.Serialization;

namespace RollbackFunctions.Infrastructure.Storage;

/// <summary>How records are written to storage: names as in the API, enums by name so rows read well.</summary>
internal static class StorageJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };
}
