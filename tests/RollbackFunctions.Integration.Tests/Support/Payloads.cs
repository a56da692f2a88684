using System.Text.Json.Nodes;

namespace RollbackFunctions.Integration.Tests.Support;

/// <summary>Request bodies the way CI, Alertmanager and Datadog send them.</summary>
internal static class Payloads
{
    /// <summary>schema, then config and flags, then rollout: four webhook steps in a diamond.</summary>
    public static JsonObject DiamondDeploy(string deployId, LocalReceiver receiver, string service = "checkout", string environment = "prod") => new()
    {
        ["deployId"] = deployId,
        ["service"] = service,
        ["environment"] = environment,
        ["version"] = "1.4.2",
        ["previousVersion"] = "1.4.1",
        ["labels"] = new JsonObject { ["cluster"] = "eu1" },
        ["steps"] = new JsonArray(
            Step("schema", receiver),
            Step("config", receiver, "schema"),
            Step("flags", receiver, "schema"),
            Step("rollout", receiver, "config", "flags")),
    };

    public static JsonObject Step(string id, LocalReceiver receiver, params string[] dependsOn) => new()
    {
        ["id"] = id,
        ["kind"] = "webhook",
        ["dependsOn"] = new JsonArray(dependsOn.Select(d => (JsonNode)d).ToArray()),
        ["params"] = new JsonObject { ["revertUrl"] = receiver.UrlFor(id) },
    };

    /// <summary>The captured Alertmanager 0.25 payload, re-aimed at a service and environment, starting now.</summary>
    public static JsonObject AlertmanagerFiring(string service, string environment, string fixture = "alertmanager-0.25-firing.json", DateTimeOffset? startsAt = null)
    {
        var payload = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "fixtures", fixture)))!.AsObject();
        var start = (startsAt ?? DateTimeOffset.UtcNow).ToString("O");
        payload["commonLabels"]!["service"] = service;
        payload["commonLabels"]!["environment"] = environment;
        foreach (var alert in payload["alerts"]!.AsArray())
        {
            alert!["labels"]!["service"] = service;
            alert["labels"]!["environment"] = environment;
            alert["startsAt"] = start;
        }

        return payload;
    }

    /// <summary>The same alerts, resolved, as Alertmanager re-sends them once the condition clears (send_resolved).</summary>
    public static JsonObject Resolved(JsonObject firing)
    {
        var resolved = firing.DeepClone().AsObject();
        resolved["status"] = "resolved";
        foreach (var alert in resolved["alerts"]!.AsArray())
        {
            alert!["status"] = "resolved";
            alert["endsAt"] = DateTimeOffset.UtcNow.ToString("O");
        }

        return resolved;
    }

    /// <summary>A Datadog webhook rendered from the template in docs/integrations.md.</summary>
    public static JsonObject Datadog(string service, string environment, string transition = "Triggered", string cycleKey = "cycle-1") => new()
    {
        ["id"] = "7391",
        ["alert_id"] = "1234",
        ["alert_cycle_key"] = cycleKey,
        ["alert_transition"] = transition,
        ["alert_scope"] = $"service:{service},env:{environment}",
        ["tags"] = $"service:{service},env:{environment},team:payments",
        ["title"] = $"[{transition}] {service} error rate",
        ["link"] = "https://app.datadoghq.com/monitors/1234",
        ["date"] = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
