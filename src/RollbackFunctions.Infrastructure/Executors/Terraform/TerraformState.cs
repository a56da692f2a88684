using System.Text.Json.Nodes;
using RollbackFunctions.Core.Executors;

namespace RollbackFunctions.Infrastructure.Executors.Terraform;

/// <summary>
/// The live infrastructure as the three-state rule compares it, read from <c>terraform show -json</c>
/// of a <c>plan -refresh-only</c>: its <c>prior_state</c> is the state refreshed from the real
/// resources. Every managed resource (root and child modules) is a part named by its address, its
/// refreshed values only as a digest (attributes may hold secrets); the addresses are shown. A
/// resource changed outside terraform (a hotfix in the console) or by another apply shows as that
/// address differing.
/// </summary>
public static class TerraformState
{
    public static TargetState Parse(string json)
    {
        var root = JsonNode.Parse(json) ?? throw new FormatException("empty plan document");
        var resources = Resources(root["prior_state"]?["values"]?["root_module"]).ToList();
        return new TargetState
        {
            Shown = new Dictionary<string, string> { ["resources"] = resources.Count == 0 ? "(none)" : string.Join(" ", resources.Select(r => r.Address).Order(StringComparer.Ordinal)) },
            Hidden = resources.ToDictionary(r => $"resource {r.Address}", r => TargetStates.Digest(r.Values), StringComparer.Ordinal),
        };
    }

    private static IEnumerable<(string Address, JsonNode? Values)> Resources(JsonNode? module)
    {
        foreach (var resource in (module?["resources"] as JsonArray ?? []).OfType<JsonObject>().Where(r => (string?)r["mode"] != "data"))
        {
            yield return ((string?)resource["address"] ?? "?", resource["values"]);
        }

        foreach (var child in (module?["child_modules"] as JsonArray ?? []).SelectMany(Resources))
        {
            yield return child;
        }
    }
}
