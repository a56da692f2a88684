using System.Text;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Verification;

namespace RollbackFunctions.Core.Watching;

/// <summary>The metric and label names the golden-signal templates use, bound from <c>Rollback:Watch:Templates</c>.</summary>
public sealed class CheckTemplateOptions
{
    public string ServiceLabel { get; set; } = "service";
    public string EnvironmentLabel { get; set; } = "environment";

    /// <summary>A request counter with a status-code label.</summary>
    public string RequestsMetric { get; set; } = "http_requests_total";
    public string StatusCodeLabel { get; set; } = "code";

    /// <summary>A request duration histogram's buckets.</summary>
    public string DurationBucketMetric { get; set; } = "http_request_duration_seconds_bucket";

    /// <summary>A CPU counter per instance: saturation is its busiest instance's rate, in cores.</summary>
    public string CpuSecondsMetric { get; set; } = "process_cpu_seconds_total";

    /// <summary>The range of the rate() the queries use.</summary>
    public string RateWindow { get; set; } = "1m";
}

/// <summary>
/// Golden-signal checks written for CI: <c>{"template": "errorRatio", "unhealthyAbove": 0.02}</c>
/// becomes the PromQL for the deploy's service, environment and labels at registration, so the
/// stored check (and the deploy reply) shows exactly what runs.
/// </summary>
public sealed partial class CheckTemplates(CheckTemplateOptions options)
{
    public static IReadOnlyList<string> Names { get; } = ["errorRatio", "latencyP99", "saturation"];

    /// <summary>The deploy with every templated check written out; other checks unchanged.</summary>
    public DeployRecord Expand(DeployRecord deploy) => deploy.Conditions is not { } conditions || conditions.Checks.All(c => c?.Template is null)
        ? deploy
        : deploy with
        {
            Conditions = conditions with
            {
                Checks = conditions.Checks.Select(c => c.Template is { } template ? c with { Query = QueryFor(template, deploy, c.MinRequests) } : c).ToList(),
            },
        };

    /// <summary>
    /// Requests per second over the rate window below which an <c>errorRatio</c> sample is
    /// inconclusive (no data): a handful of requests says nothing about a deploy.
    /// </summary>
    public const double DefaultMinRequests = 1;

    /// <summary>
    /// The query a template stands for, e.g. for errorRatio of checkout in prod:
    /// <c>(sum(rate(http_requests_total{service="checkout",environment="prod",code=~"5.."}[1m])) or vector(0)) / (sum(rate(http_requests_total{service="checkout",environment="prod"}[1m])) &gt;= 1)</c>.
    /// The error side is never empty: client libraries create the <c>code="500"</c> series on the
    /// first 500, so freshly replaced pods have none, and "no 5xx series" is zero errors, not no data
    /// (else a good rollback is reported failed). The volume side is empty below
    /// <paramref name="minRequests"/> requests per second, so such a sample is inconclusive.
    /// </summary>
    public string QueryFor(string template, DeployRecord deploy, double? minRequests = null)
    {
        var selector = Selector(deploy);
        var o = options;
        var floor = (minRequests ?? DefaultMinRequests).ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        return template switch
        {
            "errorRatio" => $"(sum(rate({o.RequestsMetric}{{{selector},{o.StatusCodeLabel}=~\"5..\"}}[{o.RateWindow}])) or vector(0)) / (sum(rate({o.RequestsMetric}{{{selector}}}[{o.RateWindow}])) >= {floor})",
            "latencyP99" => $"histogram_quantile(0.99, sum by (le) (rate({o.DurationBucketMetric}{{{selector}}}[{o.RateWindow}])))",
            "saturation" => $"max(rate({o.CpuSecondsMetric}{{{selector}}}[{o.RateWindow}]))",
            _ => throw new ArgumentOutOfRangeException(nameof(template), template, $"known templates: {string.Join(", ", Names)}"),
        };
    }

    /// <summary>Service and environment, then the deploy's own labels (they narrow the match, as they do for alerts).</summary>
    private string Selector(DeployRecord deploy)
    {
        var labels = new List<(string, string)> { (options.ServiceLabel, deploy.Service), (options.EnvironmentLabel, deploy.Environment) };
        labels.AddRange(deploy.Labels
            .Where(l => l.Key != options.ServiceLabel && l.Key != options.EnvironmentLabel && PromLabelName().IsMatch(l.Key))
            .OrderBy(l => l.Key, StringComparer.Ordinal)
            .Select(l => (l.Key, l.Value)));
        return string.Join(",", labels.Select(l => $"{l.Item1}=\"{Escape(l.Item2)}\""));
    }

    /// <summary>Deploy labels that are not Prometheus label names (<c>app.kubernetes.io/name</c>) stay out of the selector.</summary>
    [System.Text.RegularExpressions.GeneratedRegex("^[a-zA-Z_][a-zA-Z0-9_]*$")]
    private static partial System.Text.RegularExpressions.Regex PromLabelName();

    /// <summary>A PromQL string literal's content: backslashes and quotes escaped, so a label value cannot end the selector.</summary>
    private static string Escape(string value)
    {
        var escaped = new StringBuilder(value.Length);
        foreach (var c in value)
        {
            escaped.Append(c switch { '\\' => "\\\\", '"' => "\\\"", '\n' => "\\n", _ => c.ToString() });
        }

        return escaped.ToString();
    }
}
