using System.Globalization;
using Microsoft.Extensions.Options;
using RollbackFunctions.Core.Ports;
using RollbackFunctions.Core.Verification;

namespace RollbackFunctions.Infrastructure.Verification;

/// <summary>
/// Instant queries against Prometheus (<c>POST /api/v1/query</c>, form-encoded so long queries fit).
/// Transient failures (5xx incl. 503 timeouts, 429, connection errors) are retried by the client's
/// resilience pipeline; what still fails is an <see cref="Verdict.Error"/>, never an exception.
/// </summary>
public sealed class PrometheusMetricSource(IHttpClientFactory httpClients, IOptionsMonitor<PrometheusOptions> options) : IMetricSource
{
    public const string HttpClientName = "prometheus";

    public string Name => "prometheus";

    public async Task<MetricQueryResult> QueryAsync(string query, CancellationToken cancellationToken)
    {
        var settings = options.CurrentValue;
        if (string.IsNullOrEmpty(settings.BaseUrl))
        {
            return MetricQueryResult.Failed("Rollback:Prometheus:BaseUrl is not configured");
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, $"{settings.BaseUrl.TrimEnd('/')}/api/v1/query")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["query"] = query,
                ["timeout"] = $"{settings.QueryTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)}s",
            }),
        };
        PrometheusResponse.Authorize(request, settings.BearerToken, settings.Username, settings.Password);
        return await PrometheusResponse.QueryAsync(httpClients.CreateClient(HttpClientName), request, cancellationToken);
    }
}
