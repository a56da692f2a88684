using System.Text.Json.Nodes;

namespace RollbackFunctions.Integration.Tests.Api;

/// <summary>
/// <c>docs/openapi.json</c> passes Redocly CLI's recommended rules with nothing ignored: every
/// operation has an id, a summary, its security and a 4xx; every tag a description. Redocly comes
/// from the repository's npm dependencies (<c>npm ci</c>); missing, the test skips (fails with CI=true).
/// </summary>
public sealed class OpenApiLintTests
{
    [SkippableFact]
    public async Task Document_PassesRedoclyRecommendedRules_WithNothingIgnored()
    {
        var redocly = Path.Combine(Repo.Root, "node_modules", ".bin", "redocly");
        RealParts.Require(File.Exists(redocly), "Redocly CLI (npm ci in the repository)");
        // Nothing may lower the rules: no ignore file, no configuration of ours.
        Assert.All(new[] { ".redocly.lint-ignore.yaml", "redocly.yaml", ".redocly.yaml" }, file => Assert.False(File.Exists(Path.Combine(Repo.Root, file)), file));

        var (exit, output, error) = await Tool.RunApartAsync(
            redocly,
            new Dictionary<string, string> { ["REDOCLY_TELEMETRY"] = "off", ["REDOCLY_SUPPRESS_UPDATE_NOTICE"] = "true" },
            "lint", Path.Combine(Repo.Root, "docs", "openapi.json"), "--extends", "recommended", "--format", "json");

        var report = JsonNode.Parse(output)!;
        var problems = report["problems"]!.AsArray()
            .Select(p => $"{p!["severity"]} {p["ruleId"]}: {p["message"]} at {p["location"]?[0]?["pointer"]}")
            .ToList();
        Assert.True(exit == 0 && problems.Count == 0 && report["totals"]!["ignored"]!.GetValue<int>() == 0,
            $"redocly lint (recommended) exited {exit}:\n{string.Join('\n', problems)}\n{error}");
    }
}
