using System.Globalization;
using System.Text.Json;

namespace RollbackFunctions.Core.Alerts;

/// <summary>
/// Reads a Datadog monitor webhook sent with the payload template in docs/integrations.md. Correlation labels
/// come from <c>$TAGS</c>, then <c>$ALERT_SCOPE</c> (the group that triggered, so it wins), then the
/// optional explicit <c>service</c>/<c>env</c>/<c>version</c> fields. <c>$ALERT_CYCLE_KEY</c> links
/// every event of one alert episode, so it is the dedup key.
/// </summary>
public static class DatadogParser
{
    /// <summary>Parses the body; throws <see cref="AlertPayloadException"/> on anything unexpected.</summary>
    public static AlertSignal Parse(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new AlertPayloadException("the body must be a JSON object");
        }

        var cycleKey = CycleKey(root);
        var transition = Json.RequiredString(root, "alert_transition");
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        AddTags(labels, Json.OptionalString(root, "tags"));
        AddTags(labels, Json.OptionalString(root, "alert_scope"));
        foreach (var (field, label) in new[] { ("service", "service"), ("env", "env"), ("version", "version") })
        {
            if (Json.OptionalString(root, field) is { Length: > 0 } value && !value.StartsWith('$'))
            {
                labels[label] = value;
            }
        }

        var annotations = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var field in new[] { "id", "alert_id", "alert_query", "alert_status", "event_type", "alert_priority" })
        {
            if (Json.OptionalString(root, field) is { Length: > 0 } value)
            {
                annotations[field] = value;
            }
        }

        annotations["alert_transition"] = transition;
        return new AlertSignal(
            AlertSource.Datadog,
            DedupKey: $"datadog|{cycleKey}",
            Name: Json.OptionalString(root, "title") ?? $"Datadog monitor {annotations.GetValueOrDefault("alert_id", "?")}",
            StatusOf(transition),
            labels,
            annotations,
            EpisodeStart(root),
            Json.OptionalString(root, "link"));
    }

    /// <summary>
    /// <c>$ALERT_CYCLE_KEY</c>, the dedup key: every event of one alert episode shares it. Empty, or
    /// left as the variable's name (a webhook template that does not expand it), every alert would
    /// share one key, and a new episode would be taken for a re-send of an old one.
    /// </summary>
    private static string CycleKey(JsonElement root)
    {
        var key = Json.RequiredString(root, "alert_cycle_key").Trim();
        return key.Length > 0 && !key.StartsWith('$')
            ? key
            : throw new AlertPayloadException("alert_cycle_key must be the episode's key: send \"alert_cycle_key\": \"$ALERT_CYCLE_KEY\" in the webhook payload (it arrived empty or unexpanded)");
    }

    /// <summary>
    /// Maps <c>$ALERT_TRANSITION</c>. Renotify repeats a firing alert. Warn and No Data are
    /// recorded but never trigger: rolling back on missing data is how false positives start.
    /// </summary>
    public static AlertStatus StatusOf(string transition) => transition.Trim().ToLowerInvariant() switch
    {
        "triggered" or "re-triggered" or "renotify" => AlertStatus.Firing,
        "recovered" => AlertStatus.Resolved,
        _ => AlertStatus.Informational,
    };

    /// <summary>Adds <c>key:value</c> tags from a comma list; tags without a value carry no key and are ignored.</summary>
    private static void AddTags(Dictionary<string, string> labels, string? tags)
    {
        foreach (var tag in (tags ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var colon = tag.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && colon < tag.Length - 1)
            {
                labels[tag[..colon]] = tag[(colon + 1)..];
            }
        }
    }

    /// <summary>
    /// When the alert's episode began: <c>$LAST_TRIGGERED_AT_EPOCH</c> when the template sends it
    /// (a Renotify's <c>$DATE</c> is the renotification, not the start), else <c>$DATE</c>.
    /// </summary>
    private static DateTimeOffset EpisodeStart(System.Text.Json.JsonElement root) =>
        Json.OptionalString(root, "last_triggered_at_epoch") is { Length: > 0 } last && !last.StartsWith('$')
            ? ParseDate(last)
            : ParseDate(Json.RequiredString(root, "date"));

    /// <summary><c>$DATE</c> is epoch milliseconds; accept an RFC 3339 time too for custom templates.</summary>
    private static DateTimeOffset ParseDate(string value)
    {
        if (long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var millis))
        {
            return DateTimeOffset.FromUnixTimeMilliseconds(millis);
        }

        return DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time)
            ? time
            : throw new AlertPayloadException($"date must be epoch milliseconds ($DATE), not '{value}'");
    }
}
