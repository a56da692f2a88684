namespace RollbackFunctions.Core.Insights;

/// <summary>
/// Body of <c>GET /api/insights</c>: the impact figures of a period, per service and environment
/// and in total. Durations are seconds; rates are shares (0..1); error budget is the share of a
/// 30-day budget.
/// </summary>
/// <param name="From">Start of the period (inclusive).</param>
/// <param name="To">End of the period (the moment of the request).</param>
/// <param name="Groups">One per service and environment with a deploy or a rollback in the period.</param>
/// <param name="Total">The same figures over every group (<c>service</c> and <c>environment</c> null).</param>
public sealed record InsightsReply(DateTimeOffset From, DateTimeOffset To, IReadOnlyList<ImpactGroup> Groups, ImpactGroup Total);

/// <summary>The impact figures of one service in one environment (or of all, in the total).</summary>
/// <param name="Service">The service; null in the total.</param>
/// <param name="Environment">The environment; null in the total.</param>
/// <param name="Deploys">Deploys registered in the period.</param>
/// <param name="Rollbacks">Rollbacks claimed in the period.</param>
/// <param name="RollbacksByTrigger">Those rollbacks by what started them: <c>watcher</c>, <c>alert</c>, <c>operator</c>.</param>
/// <param name="ChangeFailureRate">Share of the period's deploys that were rolled back; null without deploys.</param>
/// <param name="TimeToDetect">First bad sample (watcher) or alert start (alert) to the claim.</param>
/// <param name="TimeToFirstRevert">First bad sample or alert start (the claim for an operator's rollback) to the first revert started.</param>
/// <param name="TimeToRestore">The same start to health verified, for rollbacks that succeeded.</param>
/// <param name="PartialRollbacks">Rollbacks that ended with a layer not reverted, and the step kinds left to a human.</param>
/// <param name="Pages">Pages delivered to on-call about these rollbacks.</param>
/// <param name="ErrorBudgetConsumed">What the incidents cost the burn-rate checks' SLOs; null where no rollback had one.</param>
/// <param name="DeploymentFrequency">Deploys per day over the period.</param>
/// <param name="LeadTime">Commit (<c>commitTime</c> at registration) to the deploy completing.</param>
public sealed record ImpactGroup(
    string? Service,
    string? Environment,
    int Deploys,
    int Rollbacks,
    RollbacksByTrigger RollbacksByTrigger,
    double? ChangeFailureRate,
    DurationSpread TimeToDetect,
    DurationSpread TimeToFirstRevert,
    DurationSpread TimeToRestore,
    PartialRollbacks PartialRollbacks,
    int Pages,
    BudgetConsumed? ErrorBudgetConsumed,
    double DeploymentFrequency,
    DurationSpread LeadTime);

/// <summary>Rollbacks by trigger; an operator's forced rollback counts as <c>operator</c>.</summary>
public sealed record RollbacksByTrigger(int Watcher, int Alert, int Operator);

/// <summary>Median and 90th percentile in seconds (nearest rank); null without a measurement.</summary>
public sealed record DurationSpread(double? P50, double? P90)
{
    public static DurationSpread None { get; } = new(null, null);
}

/// <summary>Rollbacks that ended with a layer not reverted; <see cref="NeedingHuman"/> counts the step kinds left to a human.</summary>
public sealed record PartialRollbacks(int Count, IReadOnlyDictionary<string, int> NeedingHuman);

/// <summary>Error budget the incidents consumed, as shares of a 30-day budget.</summary>
/// <param name="Incidents">Rollbacks whose consumption was measured.</param>
/// <param name="PerIncident">Mean over those incidents.</param>
/// <param name="Max">The costliest incident.</param>
/// <param name="Total">Sum over those incidents.</param>
public sealed record BudgetConsumed(int Incidents, double PerIncident, double Max, double Total);
