using System.Text.Json.Nodes;
using RollbackFunctions.Core.Notifications;

namespace RollbackFunctions.Infrastructure.Notifications;

/// <summary>The evidence of a page as one JSON object: what fired, what was reverted, what verification saw.</summary>
public static class Evidence
{
    public static JsonObject Of(Page page, string statusUrl) => new()
    {
        ["rollback"] = page.Rollback.RollbackId,
        ["phase"] = page.Rollback.Phase.ToString(),
        ["status"] = statusUrl,
        ["deploy"] = new JsonObject
        {
            ["id"] = page.Deploy.DeployId,
            ["service"] = page.Deploy.Service,
            ["environment"] = page.Deploy.Environment,
            ["version"] = page.Deploy.Version,
            ["previousVersion"] = page.Deploy.PreviousVersion,
        },
        ["trigger"] = new JsonObject
        {
            ["kind"] = page.Rollback.Trigger.Kind,
            ["actor"] = page.Rollback.Trigger.Actor,
            ["reason"] = page.Rollback.Trigger.Reason,
            ["alerts"] = new JsonArray(page.Rollback.Trigger.Alerts.Select(a => (JsonNode)new JsonObject
            {
                ["name"] = a.Name,
                ["status"] = a.Status.ToString(),
                ["startsAt"] = a.StartsAt.ToString("O"),
                ["labels"] = Map(a.Labels),
                ["annotations"] = Map(a.Annotations),
                ["generatorURL"] = a.Link,
            }).ToArray()),
            ["breaches"] = new JsonArray(page.Rollback.Trigger.Breaches.Select(b => (JsonNode)new JsonObject
            {
                ["check"] = b.Check,
                ["query"] = b.Query,
                ["value"] = b.Value,
                ["threshold"] = b.Threshold,
                ["samplesInARow"] = b.SamplesInARow,
                ["dryRun"] = b.DryRun,
            }).ToArray()),
        },
        ["plan"] = new JsonArray(page.Steps.Select(s => (JsonNode)new JsonObject
        {
            ["step"] = s.StepId,
            ["kind"] = s.Kind,
            ["level"] = s.Level,
            ["status"] = s.Status.ToString(),
            ["attempts"] = s.Attempts,
            ["detail"] = s.Detail,
        }).ToArray()),
        ["verification"] = new JsonArray(page.Samples.TakeLast(5).Select(v => (JsonNode)new JsonObject
        {
            ["at"] = v.At.ToString("O"),
            ["verdict"] = v.Verdict.ToString(),
            ["summary"] = v.Summary,
        }).ToArray()),
    };

    /// <summary>The evidence as plain lines, for chat channels.</summary>
    public static string AsText(Page page, string statusUrl)
    {
        var lines = new List<string> { page.Summary, $"Status: {statusUrl}" };
        lines.AddRange(page.Rollback.Trigger.Alerts.Take(5).Select(a =>
            $"Alert: {a.Name} {string.Join(" ", a.Labels.Where(l => l.Key != "alertname").Select(l => $"{l.Key}={l.Value}"))} since {a.StartsAt:u}"));
        lines.AddRange(page.Rollback.Trigger.Breaches.Select(b =>
            $"Breach: {b.Check} = {b.Value?.ToString("G6", System.Globalization.CultureInfo.InvariantCulture) ?? "?"} ({b.Threshold}, {b.SamplesInARow} in a row): {b.Query}"));
        lines.AddRange(page.Steps.Select(s => $"Step {s.StepId} (level {s.Level}): {s.Status} {s.Detail}"));
        if (page.Samples.Count > 0)
        {
            lines.Add($"Verification: {page.Samples[^1].Verdict} {page.Samples[^1].Summary}");
        }

        return string.Join('\n', lines);
    }

    private static JsonObject Map(IReadOnlyDictionary<string, string> map) =>
        new(map.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)JsonValue.Create(p.Value))));
}
