using System.Text.Json.Nodes;

namespace RollbackFunctions.Infrastructure.Executors.Terraform;

/// <summary>One resource change of a plan.</summary>
public sealed record ResourceChange(string Address, string Type, IReadOnlyList<string> Actions)
{
    /// <summary>A delete, or a replace in either order (<c>["delete","create"]</c>, <c>["create","delete"]</c>).</summary>
    public bool Deletes => Actions.Contains("delete");

    /// <summary>"create", "update", "delete", "replace", or "no-op"/"read".</summary>
    public string Verb => Actions switch
    {
        [.., "delete"] or ["delete", ..] when Actions.Contains("create") => "replace",
        [var only] => only,
        _ => string.Join("+", Actions),
    };
}

/// <summary>
/// What <c>terraform show -json PLANFILE</c> says a plan does (the <c>resource_changes</c> of the
/// JSON output format), summarised for a step's detail and the approval evidence.
/// </summary>
public sealed record TerraformPlan(IReadOnlyList<ResourceChange> Changes)
{
    /// <summary>The refreshed state the plan was made from (<c>prior_state</c>), when the document has one.</summary>
    public Core.Executors.TargetState? PriorState { get; init; }

    public static TerraformPlan Parse(string json)
    {
        var root = JsonNode.Parse(json) ?? throw new FormatException("empty plan document");
        var changes = (root["resource_changes"] as JsonArray ?? [])
            .OfType<JsonObject>()
            .Select(c => new ResourceChange(
                (string?)c["address"] ?? "?",
                (string?)c["type"] ?? "?",
                (c["change"]?["actions"] as JsonArray ?? []).Select(a => (string?)a ?? "").ToList()))
            .Where(c => !c.Actions.All(a => a is "no-op" or "read"))
            .ToList();
        return new TerraformPlan(changes) { PriorState = root["prior_state"] is null ? null : TerraformState.Parse(json) };
    }

    public bool HasChanges => Changes.Count > 0;

    /// <summary>
    /// The changes that need an operator, judged by effect (SAFETY.md 3): every delete and every
    /// replace, of any resource type; updates too for <paramref name="protectedTypes"/>.
    /// </summary>
    public IReadOnlyList<ResourceChange> Destructive(IReadOnlyCollection<string> protectedTypes) =>
        Changes.Where(c => c.Deletes || (c.Verb != "create" && protectedTypes.Contains(c.Type))).ToList();

    /// <summary>"2 to add, 1 to change, 1 to replace, 0 to destroy", terraform's own wording.</summary>
    public string Summary =>
        $"{Count("create")} to add, {Count("update")} to change, {Count("replace")} to replace, {Count("delete")} to destroy";

    /// <summary>Every change by address, grouped: "creates a; updates b; deletes c; replaces d, e".</summary>
    public string ByAddress => string.Join("; ", Verbs
        .Select(v => (v.Says, Addresses: Changes.Where(c => c.Verb == v.Verb).Select(c => c.Address).ToList()))
        .Where(v => v.Addresses.Count > 0)
        .Select(v => $"{v.Says} {string.Join(", ", v.Addresses)}"));

    private static readonly (string Verb, string Says)[] Verbs = [("create", "creates"), ("update", "updates"), ("delete", "deletes"), ("replace", "replaces")];

    private int Count(string verb) => Changes.Count(c => c.Verb == verb);
}
