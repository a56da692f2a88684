using System.ComponentModel.DataAnnotations;
using System.Globalization;
using Microsoft.Extensions.Options;
using RollbackFunctions.Core.Ports;
using RollbackFunctions.Core.Verification;

namespace RollbackFunctions.Infrastructure.Verification;

/// <summary>The Loki that <c>loki</c> checks query, bound from <c>Rollback:Loki</c>.</summary>
public sealed class LokiOptions : IValidatableObject
{
    /// <summary>Base URL, e.g. <c>http://loki:3100</c>; checks are an error while unset.</summary>
    public string? BaseUrl { get; set; }

    /// <summary>Tenant (<c>X-Scope-OrgID</c>) of a multi-tenant Loki.</summary>
    public string? TenantId { get; set; }

    public string? BearerToken { get; set; }
    public string? Username { get; set; }
    public string? Password { get; set; }

    public IEnumerable<string?> Secrets() => [BearerToken, Password];

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!string.IsNullOrEmpty(BaseUrl) && !(Uri.TryCreate(BaseUrl, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"))
        {
            yield return new ValidationResult("Rollback:Loki:BaseUrl must be an absolute http(s) URL");
        }
    }
}

/// <summary>
/// LogQL metric queries (<c>sum(rate({app="checkout"} |= "error" [1m]))</c>) through Loki's
/// instant query API, whose reply has Prometheus' shape: the same reading, the same verdicts, so
/// logs count like metrics. A log (stream) query is an error: it has no number to judge.
/// </summary>
public sealed class LokiMetricSource(IHttpClientFactory httpClients, IOptionsMonitor<LokiOptions> options, TimeProvider clock) : IMetricSource
{
    public const string HttpClientName = "loki";

    public string Name => "loki";

    public async Task<MetricQueryResult> QueryAsync(string query, CancellationToken cancellationToken)
    {
        var settings = options.CurrentValue;
        if (string.IsNullOrEmpty(settings.BaseUrl))
        {
            return MetricQueryResult.Failed("Rollback:Loki:BaseUrl is not configured");
        }

        var time = clock.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{settings.BaseUrl.TrimEnd('/')}/loki/api/v1/query?query={Uri.EscapeDataString(query)}&time={time}");
        if (!string.IsNullOrEmpty(settings.TenantId))
        {
            request.Headers.Add("X-Scope-OrgID", settings.TenantId);
        }

        PrometheusResponse.Authorize(request, settings.BearerToken, settings.Username, settings.Password);
        return await PrometheusResponse.QueryAsync(httpClients.CreateClient(HttpClientName), request, cancellationToken);
    }
}
