using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using RollbackFunctions.Core.Ports;
using RollbackFunctions.Core.Verification;

namespace RollbackFunctions.Infrastructure.Verification;

/// <summary>Datadog's API, bound from <c>Rollback:Datadog</c>; the keys are Key Vault references in Azure.</summary>
public sealed class DatadogOptions : IValidatableObject
{
    /// <summary>The site: <c>datadoghq.com</c> (US1), <c>us3.datadoghq.com</c>, <c>us5.datadoghq.com</c>, <c>datadoghq.eu</c>, <c>ap1.datadoghq.com</c>, <c>ddog-gov.com</c> (US1-FED).</summary>
    public string Site { get; set; } = "datadoghq.com";

    /// <summary>The API's base URL; <c>https://api.{Site}</c> unless set (tests point it at a stand-in).</summary>
    public string? ApiUrl { get; set; }

    public string? ApiKey { get; set; }
    public string? ApplicationKey { get; set; }

    /// <summary>How far back a query looks: the last point of each metric series, the log count over the window.</summary>
    [Range(typeof(TimeSpan), "00:00:30", "01:00:00")]
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(5);

    public static IReadOnlyList<string> Sites { get; } = ["datadoghq.com", "us3.datadoghq.com", "us5.datadoghq.com", "datadoghq.eu", "ap1.datadoghq.com", "ddog-gov.com"];

    public string BaseUrl => (ApiUrl ?? $"https://api.{Site}").TrimEnd('/');

    public IEnumerable<string?> Secrets() => [ApiKey, ApplicationKey];

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!Sites.Contains(Site))
        {
            yield return new ValidationResult($"Rollback:Datadog:Site must be one of {string.Join(", ", Sites)}");
        }
    }
}

/// <summary>
/// Datadog metrics (<c>GET /api/v1/query</c>, the last point of every series) and log counts
/// (<c>POST /api/v2/logs/analytics/aggregate</c>, a count over the window) as metric sources. A
/// 429 says when the limit resets (<c>X-RateLimit-Reset</c>); past the client's retries it is an
/// error for this sample, which the watcher counts toward "cannot evaluate", never toward a breach.
/// </summary>
public abstract class DatadogSource(IHttpClientFactory httpClients, IOptionsMonitor<DatadogOptions> options, TimeProvider clock) : IMetricSource
{
    public const string HttpClientName = "datadog";

    public abstract string Name { get; }

    protected DatadogOptions Settings => options.CurrentValue;

    protected TimeProvider Clock => clock;

    public async Task<MetricQueryResult> QueryAsync(string query, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(Settings.ApiKey) || string.IsNullOrEmpty(Settings.ApplicationKey))
        {
            return MetricQueryResult.Failed("Rollback:Datadog:ApiKey and ApplicationKey are not configured");
        }

        using var request = Request(query);
        request.Headers.Add("DD-API-KEY", Settings.ApiKey);
        request.Headers.Add("DD-APPLICATION-KEY", Settings.ApplicationKey);
        try
        {
            using var response = await httpClients.CreateClient(HttpClientName).SendAsync(request, cancellationToken);
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                var reset = response.Headers.TryGetValues("X-RateLimit-Reset", out var values) ? values.FirstOrDefault() : null;
                return MetricQueryResult.Failed($"Datadog rate limit reached{(reset is null ? "" : $"; it resets in {reset} s")}");
            }

            if (!response.IsSuccessStatusCode)
            {
                return MetricQueryResult.Failed($"Datadog answered {(int)response.StatusCode}: {(body.Length <= 200 ? body : body[..200])}");
            }

            return Read(JsonNode.Parse(body));
        }
        catch (JsonException)
        {
            return MetricQueryResult.Failed("Datadog's reply was not JSON");
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or Polly.Timeout.TimeoutRejectedException && !cancellationToken.IsCancellationRequested)
        {
            return MetricQueryResult.Failed($"{e.GetType().Name}: {e.Message}");
        }
    }

    protected abstract HttpRequestMessage Request(string query);

    protected abstract MetricQueryResult Read(JsonNode? reply);
}

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

    /// <summary>One sample per series: its last point with a value (a series of nulls is no data).</summary>
    protected override MetricQueryResult Read(JsonNode? reply)
    {
        if ((string?)reply?["status"] == "error" || reply?["error"] is JsonValue)
        {
            return MetricQueryResult.Failed($"Datadog: {(string?)reply?["error"] ?? "query failed"}");
        }

        var samples = new List<MetricSample>();
        foreach (var series in (reply?["series"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var last = (series["pointlist"] as JsonArray ?? []).OfType<JsonArray>().LastOrDefault(p => p.Count > 1 && p[1] is JsonValue);
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
