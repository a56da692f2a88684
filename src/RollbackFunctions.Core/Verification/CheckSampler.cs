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
            var canary = source.QueryAsync(divergence.Canary, cancellationToken);
            var baseline = source.QueryAsync(divergence.Baseline, cancellationToken);
            return CheckEvaluator.EvaluateDivergence(check, await canary, await baseline);
        }

        return CheckEvaluator.Evaluate(check, await source.QueryAsync(check.Query, cancellationToken));
    }

    /// <summary>The threshold a check is judged against, for evidence.</summary>
    public static string ThresholdOf(ConditionCheck check) =>
        check.Divergence is { } d ? $"canary above {d.MaxRatio}x baseline and +{d.MinDelta}"
        : check.UnhealthyAbove is { } above ? $"above {above}" + (check.UnhealthyBelow is { } b ? $" or below {b}" : "")
        : $"below {check.UnhealthyBelow}";

    /// <summary>What runs, for evidence: the query, or the canary and baseline queries.</summary>
    public static string QueryOf(ConditionCheck check) =>
        check.Divergence is { } d ? $"canary: {d.Canary}; baseline: {d.Baseline}" : check.Query;
}
