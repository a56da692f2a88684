using System.Globalization;
using RollbackFunctions.Core.Ports;

namespace RollbackFunctions.Core.Verification;

/// <summary>What an incident cost one SLO: its error ratio over the incident and the share of the budget period's error budget it spent.</summary>
/// <param name="Check">The burn-rate check.</param>
/// <param name="Objective">Its SLO.</param>
/// <param name="From">Start of the incident.</param>
/// <param name="To">When health was verified (or the rollback ended).</param>
/// <param name="ErrorRatio">Bad events over all events in that time, when it could be measured.</param>
/// <param name="Spent">Share of a <see cref="ErrorBudget.Period"/> budget spent: burn rate × duration / period.</param>
/// <param name="Detail">A line for the report.</param>
public sealed record BudgetSpent(string Check, double Objective, DateTimeOffset From, DateTimeOffset To, double? ErrorRatio, double? Spent, string Detail);

/// <summary>
/// Measures the error budget an incident consumed, for every burn-rate check of a deploy: each
/// check's good and total queries over the incident (its <c>[$window]</c> becomes the incident's
/// length, shifted back with <c>offset</c> to end when it ended, which PromQL and LogQL both
/// understand). A budget is that of the SRE workbook's 30-day window.
/// </summary>
public sealed class ErrorBudget(IEnumerable<IMetricSource> sources, TimeProvider clock)
{
    public static readonly TimeSpan Period = TimeSpan.FromDays(30);

    /// <summary>
    /// The error budget each burn-rate check lost to an incident, from the deploy's registration (CI
    /// registers just before its first step applies) to the end of the rollback (verified, or given
    /// up); nothing while the rollback runs or without burn-rate checks. Measured when asked, so it
    /// needs the source's retention.
    /// </summary>
    public async Task<IReadOnlyList<BudgetSpent>> OfIncidentAsync(Deploys.DeployRecord? deploy, Rollbacks.RollbackRecord head, CancellationToken cancellationToken) =>
        deploy?.Conditions?.Checks is { } checks && checks.Any(c => c?.BurnRate is not null) && head.CompletedAt is { } ended
            ? await SpentAsync(checks, deploy.RegisteredAt, ended, cancellationToken)
            : [];

    public async Task<IReadOnlyList<BudgetSpent>> SpentAsync(IEnumerable<ConditionCheck> checks, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        var spent = new List<BudgetSpent>();
        foreach (var check in checks.Where(c => c.BurnRate is not null))
        {
            spent.Add(await SpentAsync(check, from, to, cancellationToken));
        }

        return spent;
    }

    private async Task<BudgetSpent> SpentAsync(ConditionCheck check, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        var burn = check.BurnRate!;
        var seconds = Math.Max(1, (long)Math.Ceiling((to - from).TotalSeconds));
        var offset = Math.Max(0, (long)Math.Floor((clock.GetUtcNow() - to).TotalSeconds));
        if (sources.FirstOrDefault(s => s.Name == check.Source) is not { } source)
        {
            return new BudgetSpent(check.Name, burn.Objective, from, to, null, null, $"no metric source '{check.Source}'");
        }

        var answer = new WindowAnswer(
            await source.QueryAsync(Over(burn.Good, seconds, offset), cancellationToken),
            await source.QueryAsync(Over(burn.Total, seconds, offset), cancellationToken));
        var (_, rate, why) = BurnRateJudge.Rate(answer, burn.Objective);
        if (rate is not { } burnRate)
        {
            return new BudgetSpent(check.Name, burn.Objective, from, to, null, null, $"could not be measured: {why}");
        }

        var errorRatio = burnRate * (1 - burn.Objective);
        var share = BurnRateJudge.BudgetSpent(burnRate, TimeSpan.FromSeconds(seconds), Period);
        var detail = string.Create(CultureInfo.InvariantCulture,
            $"{errorRatio * 100:0.###} % of requests bad over {TimeSpan.FromSeconds(seconds)} (burn rate {burnRate:0.##}x against {burn.Objective * 100:0.###} %): {share * 100:0.####} % of a 30-day error budget");
        return new BudgetSpent(check.Name, burn.Objective, from, to, errorRatio, share, detail);
    }

    /// <summary>The query over the incident: <c>[$window]</c> becomes <c>[754s] offset 30s</c>.</summary>
    public static string Over(string query, long seconds, long offsetSeconds) =>
        query.Replace(BurnRateCheck.WindowPlaceholder + "]", offsetSeconds > 0 ? $"{seconds}s] offset {offsetSeconds}s" : $"{seconds}s]", StringComparison.Ordinal)
            .Replace(BurnRateCheck.WindowPlaceholder, $"{seconds}s", StringComparison.Ordinal);
}
