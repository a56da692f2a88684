using System.Globalization;
using Microsoft.Extensions.Options;
using RollbackFunctions.Core.Ports;
using RollbackFunctions.Core.Verification;

namespace RollbackFunctions.Infrastructure.Verification;

/// <summary>
/// Instant queries (<c>POST /api/v1/query</c>) and range queries (<c>POST /api/v1/query_range</c>)
/// against Prometheus, form-encoded so long queries fit. Transient failures (5xx incl. 503
/// timeouts, 429, connection errors) are retried by the client's resilience pipeline; what still
/// fails is an <see cref="Verdict.Error"/>, never an exception.
/// </summary>
public sealed class PrometheusMetricSource(IHttpClientFactory httpClients, IOptionsMonitor<PrometheusOptions> options, TimeProvider clock) : IRangeMetricSource
{
    public const string HttpClientName = "prometheus";

    public string Name => "prometheus";

    public async Task<MetricQueryResult> QueryAsync(string query, CancellationToken cancellationToken)
    {
        using var request = Request("query", new() { ["query"] = query });
        return request is null
            ? MetricQueryResult.Failed(NotConfigured)
            : await PrometheusResponse.QueryAsync(httpClients.CreateClient(HttpClientName), request, cancellationToken);
    }

    public async Task<MetricRangeResult> QueryRangeAsync(string query, int points, TimeSpan step, CancellationToken cancellationToken)
    {
        // The end on a multiple of the step: queries sent together (bad events and requests) get the same timestamps.
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var stepMs = (long)step.TotalMilliseconds;
        var end = now - now % stepMs;
        var start = end - (points - 1) * stepMs;
        using var request = Request("query_range", new()
        {
            ["query"] = query,
            ["start"] = Seconds(start),
            ["end"] = Seconds(end),
            ["step"] = Seconds(stepMs),
        });
        return request is null
            ? MetricRangeResult.Failed(NotConfigured)
            : await PrometheusResponse.QueryRangeAsync(httpClients.CreateClient(HttpClientName), request, cancellationToken);
    }

    private const string NotConfigured = "Rollback:Prometheus:BaseUrl is not configured";

    private HttpRequestMessage? Request(string api, Dictionary<string, string> form)
    {
        var settings = options.CurrentValue;
        if (string.IsNullOrEmpty(settings.BaseUrl))
        {
            return null;
        }

        form["timeout"] = $"{settings.QueryTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)}s";
        var request = new HttpRequestMessage(HttpMethod.Post, $"{settings.BaseUrl.TrimEnd('/')}/api/v1/{api}") { Content = new FormUrlEncodedContent(form) };
        PrometheusResponse.Authorize(request, settings.BearerToken, settings.Username, settings.Password);
        return request;
    }

    private static string Seconds(long milliseconds) => (milliseconds / 1000.0).ToString("0.###", CultureInfo.InvariantCulture);
}
