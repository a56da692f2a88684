using System.Text.Json;

namespace RollbackFunctions.Core.Tests;

/// <summary>Loads the captured payloads under tests/fixtures.</summary>
internal static class Fixtures
{
    public static JsonElement Json(string name) =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "fixtures", name))).RootElement.Clone();

    public static JsonElement Parse(string json) => JsonDocument.Parse(json).RootElement.Clone();
}
