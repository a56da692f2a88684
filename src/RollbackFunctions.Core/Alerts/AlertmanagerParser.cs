using System.Globalization;
using System.Text.Json;

namespace RollbackFunctions.Core.Alerts;

/// <summary>
/// Reads an Alertmanager webhook (payload <c>version: "4"</c>). Each alert's own labels are merged
/// over the group's <c>commonLabels</c>; the dedup key is <c>groupKey</c> + the alert fingerprint,
/// because Alertmanager re-sends a group every group_interval and HA pairs send it twice.
/// One unreadable alert never costs the others: Alertmanager does not retry a 4xx, so rejecting
/// the group would lose every alert in it.
/// </summary>
public static class AlertmanagerParser
{
    /// <summary>
    /// Parses the body: the readable alerts, and what was wrong with each unreadable one. Throws
    /// <see cref="AlertPayloadException"/> when the envelope itself is unreadable.
    /// </summary>
    public static AlertBatch Parse(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new AlertPayloadException("the body must be a JSON object");
        }

        var version = Json.OptionalString(root, "version");
        if (version is not null && version != "4")
        {
            throw new AlertPayloadException($"unsupported webhook version '{version}'; expected \"4\"");
        }

        var groupKey = Json.RequiredString(root, "groupKey");
        var commonLabels = Json.StringMap(root, "commonLabels");
        if (!root.TryGetProperty("alerts", out var alerts) || alerts.ValueKind != JsonValueKind.Array)
        {
            throw new AlertPayloadException("'alerts' must be an array");
        }

        var parsed = new List<AlertSignal>();
        var rejected = new List<string>();
        var index = 0;
        foreach (var alert in alerts.EnumerateArray())
        {
            try
            {
                parsed.Add(ParseAlert(alert, index, groupKey, commonLabels));
            }
            catch (AlertPayloadException e)
            {
                rejected.Add(e.Message);
            }

            index++;
        }

        var truncated = root.TryGetProperty("truncatedAlerts", out var count) && count.TryGetInt32(out var n) && n > 0 ? n : 0;
        return new AlertBatch(parsed, rejected, truncated);
    }

    private static AlertSignal ParseAlert(JsonElement alert, int index, string groupKey, IReadOnlyDictionary<string, string> commonLabels)
    {
        var at = $"alerts[{index}]";
        if (alert.ValueKind != JsonValueKind.Object)
        {
            throw new AlertPayloadException($"{at} must be an object");
        }

        var labels = new Dictionary<string, string>(commonLabels);
        foreach (var (key, value) in Json.StringMap(alert, "labels", at))
        {
            labels[key] = value;
        }

        var status = Json.RequiredString(alert, "status", at) switch
        {
            "firing" => AlertStatus.Firing,
            "resolved" => AlertStatus.Resolved,
            var other => throw new AlertPayloadException($"{at}.status must be 'firing' or 'resolved', not '{other}'"),
        };
        var startsAt = ParseTime(Json.RequiredString(alert, "startsAt", at), $"{at}.startsAt");

        // Older senders omit the fingerprint; the label set identifies the alert just as well.
        var fingerprint = Json.OptionalString(alert, "fingerprint") ?? LabelFingerprint(labels);
        return new AlertSignal(
            AlertSource.Alertmanager,
            DedupKey: $"{groupKey}|{fingerprint}|{startsAt.UtcTicks}",
            Name: labels.GetValueOrDefault("alertname", "unnamed alert"),
            status,
            labels,
            Json.StringMap(alert, "annotations", at),
            startsAt,
            Json.OptionalString(alert, "generatorURL") is { Length: > 0 } link ? link : null);
    }

    private static DateTimeOffset ParseTime(string value, string path) =>
        DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time)
            ? time
            : throw new AlertPayloadException($"{path} is not an RFC 3339 time: '{value}'");

    private static string LabelFingerprint(IReadOnlyDictionary<string, string> labels) =>
        string.Join(',', labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}"));
}
