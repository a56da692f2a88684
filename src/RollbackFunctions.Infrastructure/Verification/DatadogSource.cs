using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using RollbackFunctions.Core.Ports;
using RollbackFunctions.Core.Verification;

namespace RollbackFunctions.Infrastructure.Verification;

/// <summary>
/// Datadog metrics and log counts as metric sources, and how they spend the organisation's rate
/// limit. A 429 says in <c>X-RateLimit-Reset</c> how many seconds remain until the limit resets
/// (Datadog's limits are per endpoint, so each source keeps its own): a reset within
/// <see cref="DatadogOptions.RateLimitMaxWait"/> is waited for and the query asked once more; a
/// later one makes this sample an error ("cannot evaluate", never a breach) and no call goes out
/// until it passes. The HTTP client does not retry a 429 itself (<see cref="Configuration.AdapterServices"/>).
/// </summary>
public abstract class DatadogSource(IHttpClientFactory httpClients, IOptionsMonitor<DatadogOptions> options, TimeProvider clock) : IQuotaMetricSource
{
    public const string HttpClientName = "datadog";

    /// <summary>UTC ticks when this endpoint's limit resets, after a 429 whose reset was too far to wait for (read and written across threads).</summary>
    private long limitedUntilTicks;

    public abstract string Name { get; }

    public string Quota => "Datadog";

    public int MaxChecksPerDeploy => Settings.MaxChecksPerDeploy;

    public string MaxChecksSetting => "Rollback:Datadog:MaxChecksPerDeploy";

    protected DatadogOptions Settings => options.CurrentValue;

    protected TimeProvider Clock => clock;

    public async Task<MetricQueryResult> QueryAsync(string query, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(Settings.ApiKey) || string.IsNullOrEmpty(Settings.ApplicationKey))
        {
            return MetricQueryResult.Failed("Rollback:Datadog:ApiKey and ApplicationKey are not configured");
        }

        var wait = new DateTimeOffset(Volatile.Read(ref limitedUntilTicks), TimeSpan.Zero) - clock.GetUtcNow();
        if (wait > TimeSpan.Zero)
        {
            return RateLimited(wait);
        }

        try
        {
            var (status, reset, body) = await SendAsync(query, cancellationToken);
            if (status == HttpStatusCode.TooManyRequests && reset is { } first && first <= Settings.RateLimitMaxWait)
            {
                await Task.Delay(first, clock, cancellationToken);
                (status, reset, body) = await SendAsync(query, cancellationToken);
            }

            if (status == HttpStatusCode.TooManyRequests)
            {
                Volatile.Write(ref limitedUntilTicks, (clock.GetUtcNow() + (reset ?? TimeSpan.Zero)).UtcTicks);
                return RateLimited(reset);
            }

            if ((int)status is < 200 or > 299)
            {
                return MetricQueryResult.Failed($"Datadog answered {(int)status}: {(body.Length <= 200 ? body : body[..200])}");
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

    private async Task<(HttpStatusCode Status, TimeSpan? Reset, string Body)> SendAsync(string query, CancellationToken cancellationToken)
    {
        using var request = Request(query);
        request.Headers.Add("DD-API-KEY", Settings.ApiKey);
        request.Headers.Add("DD-APPLICATION-KEY", Settings.ApplicationKey);
        using var response = await httpClients.CreateClient(HttpClientName).SendAsync(request, cancellationToken);
        var reset = response.Headers.TryGetValues("X-RateLimit-Reset", out var values)
            && double.TryParse(values.FirstOrDefault(), NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds is >= 0 and < 86400
            ? TimeSpan.FromSeconds(seconds)
            : (TimeSpan?)null;
        return (response.StatusCode, reset, await response.Content.ReadAsStringAsync(cancellationToken));
    }

    private static MetricQueryResult RateLimited(TimeSpan? reset) =>
        MetricQueryResult.Failed($"Datadog rate limit reached{(reset is { } r ? $"; it resets in {Math.Ceiling(r.TotalSeconds).ToString(CultureInfo.InvariantCulture)} s" : "")}");
}
