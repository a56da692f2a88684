using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
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
        if (!string.IsNullOrEmpty(settings.BearerToken))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", settings.BearerToken);
        }
        else if (!string.IsNullOrEmpty(settings.Username))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{settings.Username}:{settings.Password}")));
        }

        try
        {
            using var response = await httpClients.CreateClient(HttpClientName).SendAsync(request, cancellationToken);
            return PrometheusResponse.Read((int)response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken));
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or Polly.Timeout.TimeoutRejectedException && !cancellationToken.IsCancellationRequested)
        {
            return MetricQueryResult.Failed($"{e.GetType().Name}: {e.Message}");
        }
    }
}
