using RollbackFunctions.Core.Ports;

namespace RollbackFunctions.Core.Verification;

/// <summary>
/// Runs one check against its source and judges it: the one evaluation the watcher and verification
/// share, so a check means the same before and after a rollback.
/// </summary>
public sealed class CheckSampler(IEnumerable<IMetricSource> sources)
{
    public async Task<CheckResult> SampleAsync(ConditionCheck check, CancellationToken cancellationToken)
    {
        if (sources.FirstOrDefault(s => s.Name == check.Source) is not { } source)
        {
            return CheckEvaluator.Evaluate(check, MetricQueryResult.Failed($"no metric source '{check.Source}' is configured"));
        }

        if (check.Divergence is { } divergence)
        {
            return source is IRangeMetricSource ranges
                ? await DivergenceAsync(check, divergence, ranges, cancellationToken)
                : CheckEvaluator.Evaluate(check, MetricQueryResult.Failed($"source '{check.Source}' cannot run the range queries a divergence check needs"));
        }

        if (check.BurnRate is { } burn)
        {
            var windows = BurnRateJudge.WindowsOf(burn);
            var answers = await Task.WhenAll(windows.Select(async w => new WindowAnswer(
                await source.QueryAsync(BurnRateCheck.ForWindow(burn.Good, w), cancellationToken),
                await source.QueryAsync(BurnRateCheck.ForWindow(burn.Total, w), cancellationToken))));
            return BurnRateJudge.Evaluate(check, windows.Zip(answers).ToDictionary(p => p.First, p => p.Second, StringComparer.Ordinal));
        }

        return CheckEvaluator.Evaluate(check, await source.QueryAsync(check.Query, cancellationToken));
    }

    private static async Task<CheckResult> DivergenceAsync(ConditionCheck check, DivergenceCheck d, IRangeMetricSource source, CancellationToken cancellationToken)
    {
        var step = d.Interval ?? DivergenceDefaults.Interval;
        var results = await Task.WhenAll(new[] { d.Canary, d.CanaryRequests, d.Baseline, d.BaselineRequests }
            .Select(q => source.QueryRangeAsync(q, d.Samples, step, cancellationToken)));
        return DivergenceJudge.Evaluate(check, results[0], results[1], results[2], results[3]);
    }

    /// <summary>The threshold a check is judged against, for evidence.</summary>
    public static string ThresholdOf(ConditionCheck check) =>
        check.Divergence is { } d ? $"canary's bad ratio above {d.MaxRatio}x baseline's{(d.MinDelta > 0 ? $" and +{d.MinDelta}" : "")} at {d.Confidence * 100} % confidence over {d.Samples} intervals"
        : check.BurnRate is { } burn ? $"objective {burn.Objective}: both windows of a pair burning faster than " + string.Join(", ", (burn.Pairs(out _) ?? []).Select(p => $"{p.Factor}x over {p.Short}/{p.Long}"))
        : check.UnhealthyAbove is { } above ? $"above {above}" + (check.UnhealthyBelow is { } b ? $" or below {b}" : "")
        : $"below {check.UnhealthyBelow}";

    /// <summary>What runs, for evidence: the query, or the queries of a divergence or burn-rate check.</summary>
    public static string QueryOf(ConditionCheck check) =>
        check.Divergence is { } d ? $"canary: {d.Canary} / {d.CanaryRequests}; baseline: {d.Baseline} / {d.BaselineRequests}"
        : check.BurnRate is { } burn ? $"good: {burn.Good}; total: {burn.Total}"
        : check.Query;
}
