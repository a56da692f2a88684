using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using RollbackFunctions.Core.Ports;
using RollbackFunctions.Core.Verification;

namespace RollbackFunctions.Infrastructure.Verification;

/// <summary><c>datadog</c> checks: metric queries.</summary>
public sealed class DatadogMetricSource(IHttpClientFactory httpClients, IOptionsMonitor<DatadogOptions> options, TimeProvider clock) : DatadogSource(httpClients, options, clock)
{
    public override string Name => "datadog";

    protected override HttpRequestMessage Request(string query)
    {
        var to = Clock.GetUtcNow();
        var from = to - Settings.Window;
        return new HttpRequestMessage(HttpMethod.Get,
            $"{Settings.BaseUrl}/api/v1/query?from={from.ToUnixTimeSeconds()}&to={to.ToUnixTimeSeconds()}&query={Uri.EscapeDataString(query)}");
    }

    /// <summary>
    /// One sample per series: its last complete point with a value (a series of nulls is no data).
    /// A point at t covers [t, t + interval); it is complete when that ends by the reply's
    /// <c>to_date</c>. The last bucket of a query ending now is usually still filling: a count or
    /// a rate read from it is low, and <c>unhealthyBelow</c> would fire on a healthy service.
    /// </summary>
    protected override MetricQueryResult Read(JsonNode? reply)
    {
        if ((string?)reply?["status"] == "error" || reply?["error"] is JsonValue)
        {
            return MetricQueryResult.Failed($"Datadog: {(string?)reply?["error"] ?? "query failed"}");
        }

        var samples = new List<MetricSample>();
        var to = reply?["to_date"] is JsonValue toDate ? toDate.GetValue<double>() : double.MaxValue;
        foreach (var series in (reply?["series"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var points = (series["pointlist"] as JsonArray ?? []).OfType<JsonArray>().Where(p => p.Count > 1 && p[0] is JsonValue).ToList();
            var intervalMs = series["interval"] is JsonValue interval ? interval.GetValue<double>() * 1000
                : points.Count > 1 ? points[^1][0]!.GetValue<double>() - points[^2][0]!.GetValue<double>() : 0;
            var last = points.LastOrDefault(p => p[1] is JsonValue && p[0]!.GetValue<double>() + intervalMs <= to);
            if (last is not null)
            {
                var labels = new Dictionary<string, string> { ["scope"] = (string?)series["scope"] ?? "", ["metric"] = (string?)series["metric"] ?? "" };
                samples.Add(new MetricSample(labels, last[1]!.GetValue<double>()));
            }
        }

        return new MetricQueryResult(samples, null);
    }
}

/// <summary><c>datadogLogs</c> checks: the number of logs matching a search over the window (e.g. <c>service:checkout status:error</c>).</summary>
public sealed class DatadogLogsSource(IHttpClientFactory httpClients, IOptionsMonitor<DatadogOptions> options, TimeProvider clock) : DatadogSource(httpClients, options, clock)
{
    public override string Name => "datadogLogs";

    protected override HttpRequestMessage Request(string query)
    {
        var window = $"now-{(long)Settings.Window.TotalSeconds}s";
        var body = new JsonObject
        {
            ["compute"] = new JsonArray(new JsonObject { ["aggregation"] = "count", ["type"] = "total" }),
            ["filter"] = new JsonObject { ["query"] = query, ["from"] = window, ["to"] = "now" },
        };
        return new HttpRequestMessage(HttpMethod.Post, $"{Settings.BaseUrl}/api/v2/logs/analytics/aggregate")
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
        };
    }

    /// <summary>No bucket means no matching log: a count of zero, which is data, not its absence.</summary>
    protected override MetricQueryResult Read(JsonNode? reply)
    {
        if (reply?["errors"] is JsonArray errors)
        {
            return MetricQueryResult.Failed($"Datadog: {string.Join("; ", errors.Select(e => e?.ToString()))}");
        }

        var count = (reply?["data"]?["buckets"] as JsonArray ?? []).OfType<JsonObject>()
            .Sum(bucket => bucket["computes"]?["c0"] is JsonValue value ? value.GetValue<double>() : 0);
        return new MetricQueryResult([new MetricSample(new Dictionary<string, string> { ["window"] = Settings.Window.ToString() }, count)], null);
    }
}
