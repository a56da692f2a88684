using System.Text.Json.Nodes;
using RollbackFunctions.Core.Deploys;

namespace RollbackFunctions.Infrastructure.Executors.Kubernetes;

/// <summary>
/// What the hold annotation remembers: the spec the hold replaced (Argo CD's
/// <c>syncPolicy.automated</c>, Flux's <c>suspend</c>) and the rollbacks that hold the object, so a
/// resume by one rollback leaves another's hold in place. An annotation written before holds named
/// their rollback (no <c>by</c>) is released by any resume, as it was then.
/// </summary>
/// <param name="Previous">The replaced spec fields, as JSON (<c>{"automated":{...}}</c> or <c>{"suspend":false}</c>).</param>
/// <param name="By">The rollbacks holding the object, oldest first.</param>
public sealed record GitOpsHoldRecord(JsonObject Previous, IReadOnlyList<string> By)
{
    /// <summary>The record in an annotation's value, or null when there is none (or it is not ours to read).</summary>
    public static GitOpsHoldRecord? Parse(string? annotation)
    {
        if (annotation is null || JsonNode.Parse(annotation) is not JsonObject value)
        {
            return null;
        }

        var by = (value["by"] as JsonArray ?? []).Select(b => (string?)b).OfType<string>().ToList();
        value.Remove("by");
        return new GitOpsHoldRecord(value, by);
    }

    /// <summary>What the object holds now in the fields a hold changes, to remember before holding it.</summary>
    public static GitOpsHoldRecord Of(GitOpsTarget target, KubeObject found, string rollbackId) => new(
        target.Controller == GitOpsTarget.ArgoCd
            ? new JsonObject { ["automated"] = found["spec"]?["syncPolicy"]?["automated"]?.DeepClone() }
            : new JsonObject { ["suspend"] = (bool?)found["spec"]?["suspend"] ?? false },
        [rollbackId]);

    /// <summary>Whether the object is held now: Argo CD without automated sync, Flux suspended.</summary>
    public static bool IsHeld(GitOpsTarget target, KubeObject found) => target.Controller == GitOpsTarget.ArgoCd
        ? found["spec"]?["syncPolicy"]?["automated"] is null
        : (bool?)found["spec"]?["suspend"] == true;

    /// <summary>The spec a hold writes.</summary>
    public static JsonObject HeldSpec(GitOpsTarget target) => target.Controller == GitOpsTarget.ArgoCd
        ? new JsonObject { ["syncPolicy"] = new JsonObject { ["automated"] = null } }
        : new JsonObject { ["suspend"] = true };

    /// <summary>The spec a resume writes back.</summary>
    public JsonObject PreviousSpec(GitOpsTarget target) => target.Controller == GitOpsTarget.ArgoCd
        ? new JsonObject { ["syncPolicy"] = new JsonObject { ["automated"] = Previous["automated"]?.DeepClone() } }
        : new JsonObject { ["suspend"] = Previous["suspend"]?.DeepClone() };

    public GitOpsHoldRecord With(string rollbackId) => By.Contains(rollbackId) ? this : this with { By = [.. By, rollbackId] };

    public GitOpsHoldRecord Without(string rollbackId) => this with { By = [.. By.Where(b => b != rollbackId)] };

    /// <summary>The annotation's value.</summary>
    public string ToAnnotation()
    {
        var value = Previous.DeepClone().AsObject();
        value["by"] = new JsonArray(By.Select(b => (JsonNode)b).ToArray());
        return value.ToJsonString();
    }

    /// <summary>What was there before the hold, for details ("automated {...}" or "suspend false").</summary>
    public string Describe(GitOpsTarget target) => target.Controller == GitOpsTarget.ArgoCd
        ? $"automated sync {Previous["automated"]?.ToJsonString() ?? "off"}"
        : $"suspend {Previous["suspend"]?.ToJsonString() ?? "false"}";
}
