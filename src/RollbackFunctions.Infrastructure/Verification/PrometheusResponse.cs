using System.Globalization;
using System.Text.Json;
using RollbackFunctions.Core.Verification;

namespace RollbackFunctions.Infrastructure.Verification;

/// <summary>
/// Reads the <c>/api/v1/query</c> and <c>/api/v1/query_range</c> envelopes. Sample values are
/// strings ("NaN" and "+Inf" included); an empty vector is a success meaning no data;
/// <c>status: error</c> is a failed query; <c>warnings</c> on a success (Thanos or a federated
/// Prometheus with a store or shard that did not answer) mean the answer is partial.
/// </summary>
public static class PrometheusResponse
{
    /// <summary>Bearer token, else basic credentials, else nothing: how Prometheus-style APIs (Prometheus, Loki) are authorised.</summary>
    public static void Authorize(HttpRequestMessage request, string? bearerToken, string? username, string? password)
    {
        if (!string.IsNullOrEmpty(bearerToken))
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", bearerToken);
        }
        else if (!string.IsNullOrEmpty(username))
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue(
                "Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{username}:{password}")));
        }
    }

    /// <summary>Sends an instant query and reads the reply; what fails after the client's retries is an error result, never an exception.</summary>
    public static async Task<MetricQueryResult> QueryAsync(HttpClient client, HttpRequestMessage request, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await client.SendAsync(request, cancellationToken);
            return Read((int)response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken));
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or Polly.Timeout.TimeoutRejectedException && !cancellationToken.IsCancellationRequested)
        {
            return MetricQueryResult.Failed($"{e.GetType().Name}: {e.Message}");
        }
    }

    public static MetricQueryResult Read(int httpStatus, string body)
    {
        if (Envelope(httpStatus, body, out var root) is { } failure)
        {
            return MetricQueryResult.Failed(failure);
        }

        if (Warnings(root) is { } warnings)
        {
            return new MetricQueryResult([], null, warnings);
        }

        var data = root.GetProperty("data");
        var result = data.GetProperty("result");
        return data.GetProperty("resultType").GetString() switch
        {
            "vector" => new MetricQueryResult(result.EnumerateArray().Select(s => new MetricSample(Labels(s), Value(s.GetProperty("value")))).ToList(), null),
            "scalar" => new MetricQueryResult([new MetricSample(new Dictionary<string, string>(), Value(result))], null),
            var other => MetricQueryResult.Failed($"result type '{other}' is not supported; write an instant vector or scalar query"),
        };
    }

    /// <summary>Sends a range query and reads the matrix; failures are results, as for instant queries.</summary>
    public static async Task<MetricRangeResult> QueryRangeAsync(HttpClient client, HttpRequestMessage request, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await client.SendAsync(request, cancellationToken);
            return ReadRange((int)response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken));
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or Polly.Timeout.TimeoutRejectedException && !cancellationToken.IsCancellationRequested)
        {
            return MetricRangeResult.Failed($"{e.GetType().Name}: {e.Message}");
        }
    }

    public static MetricRangeResult ReadRange(int httpStatus, string body)
    {
        if (Envelope(httpStatus, body, out var root) is { } failure)
        {
            return MetricRangeResult.Failed(failure);
        }

        if (Warnings(root) is { } warnings)
        {
            return new MetricRangeResult([], null, warnings);
        }

        if (!root.TryGetProperty("data", out var data) || !data.TryGetProperty("result", out var result) || result.ValueKind != JsonValueKind.Array
            || !data.TryGetProperty("resultType", out var type) || type.GetString() != "matrix")
        {
            return MetricRangeResult.Failed($"HTTP {httpStatus}, not a range query reply (a matrix)");
        }

        return new MetricRangeResult(result.EnumerateArray().Select(s => new MetricSeries(Labels(s),
            s.GetProperty("values").EnumerateArray().Select(p => new MetricPoint(DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Round(p[0].GetDouble() * 1000)), Value(p))).ToList())).ToList(), null);
    }

    /// <summary>Null for a success envelope (with <paramref name="root"/> set), else why not.</summary>
    private static string? Envelope(int httpStatus, string body, out JsonElement root)
    {
        try
        {
            root = JsonDocument.Parse(body).RootElement;
        }
        catch (JsonException)
        {
            root = default;
            return $"HTTP {httpStatus}, not a Prometheus API reply";
        }

        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("status", out var status))
        {
            return $"HTTP {httpStatus}, no status in the reply";
        }

        if (status.GetString() != "success")
        {
            var type = root.TryGetProperty("errorType", out var t) ? t.GetString() : "unknown";
            var error = root.TryGetProperty("error", out var e) ? e.GetString() : "";
            return $"HTTP {httpStatus} {type}: {error}";
        }

        return null;
    }

    /// <summary>The warnings of a partial answer, joined; null when there are none (Prometheus 3's <c>infos</c> are not partial answers).</summary>
    private static string? Warnings(JsonElement root) =>
        root.TryGetProperty("warnings", out var warnings) && warnings.ValueKind == JsonValueKind.Array && warnings.GetArrayLength() > 0
            ? string.Join("; ", warnings.EnumerateArray().Select(w => w.ValueKind == JsonValueKind.String ? w.GetString() : w.GetRawText()))
            : null;

    private static Dictionary<string, string> Labels(JsonElement series) =>
        series.TryGetProperty("metric", out var metric)
            ? metric.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "")
            : [];

    /// <summary><c>[ unix_time, "value" ]</c>; the value is a string so NaN and ±Inf survive JSON.</summary>
    private static double Value(JsonElement pair) =>
        double.TryParse(pair[1].GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            ? value
            : pair[1].GetString() switch { "+Inf" or "Inf" => double.PositiveInfinity, "-Inf" => double.NegativeInfinity, _ => double.NaN };
}
