using RollbackFunctions.Core.Deploys;

namespace RollbackFunctions.Core.Insights;

/// <summary>
/// Turns the deploys registered and the rollbacks claimed in a period into the impact figures,
/// per service and environment and in total. Pure code.
/// </summary>
public static class ImpactFigures
{
    /// <summary>
    /// The reply for the period [<paramref name="from"/>, <paramref name="to"/>]: a group per service
    /// and environment, or with <paramref name="perService"/> false one per environment (service
    /// null), as <c>/metrics</c> shows them.
    /// </summary>
    public static InsightsReply Of(DateTimeOffset from, DateTimeOffset to, IReadOnlyList<DeployRecord> deploys, IReadOnlyList<RollbackImpact> rollbacks, bool perService = true)
    {
        var days = Math.Max((to - from).TotalDays, 1.0 / 24);
        string? ServiceOf(string service) => perService ? service : null;
        var groups = deploys.Select(d => (Service: ServiceOf(d.Service), d.Environment)).Concat(rollbacks.Select(r => (Service: ServiceOf(r.Service), r.Environment)))
            .Distinct()
            .OrderBy(g => g.Environment, StringComparer.Ordinal).ThenBy(g => g.Service, StringComparer.Ordinal)
            .Select(g => Group(g.Service, g.Environment, days,
                deploys.Where(d => ServiceOf(d.Service) == g.Service && d.Environment == g.Environment).ToList(),
                rollbacks.Where(r => ServiceOf(r.Service) == g.Service && r.Environment == g.Environment).ToList()))
            .ToList();
        return new InsightsReply(from, to, groups, Group(null, null, days, deploys, rollbacks));
    }

    private static ImpactGroup Group(string? service, string? environment, double days, IReadOnlyList<DeployRecord> deploys, IReadOnlyList<RollbackImpact> rollbacks)
    {
        var partial = rollbacks.Where(r => r.IsPartial).ToList();
        var budgets = rollbacks.Select(r => r.BudgetSpent).OfType<double>().ToList();
        return new ImpactGroup(
            service,
            environment,
            deploys.Count,
            rollbacks.Count,
            new RollbacksByTrigger(
                rollbacks.Count(r => r.Trigger == ImpactTriggers.Watcher),
                rollbacks.Count(r => r.Trigger == ImpactTriggers.Alert),
                rollbacks.Count(r => r.Trigger == ImpactTriggers.Operator)),
            deploys.Count == 0 ? null : (double)deploys.Count(d => d.RollbackId is not null) / deploys.Count,
            Spread(rollbacks.Select(r => r.SignalAt is { } signal ? r.ClaimedAt - signal : (TimeSpan?)null)),
            Spread(rollbacks.Select(r => r.FirstRevertAt - r.StartedAt)),
            Spread(rollbacks.Select(r => r.VerifiedAt - r.StartedAt)),
            new PartialRollbacks(
                partial.Count,
                partial.SelectMany(r => r.LeftToHuman).GroupBy(k => k, StringComparer.Ordinal).OrderBy(k => k.Key, StringComparer.Ordinal).ToDictionary(k => k.Key, k => k.Count())),
            rollbacks.Sum(r => r.Pages),
            budgets.Count == 0 ? null : new BudgetConsumed(budgets.Count, budgets.Average(), budgets.Max(), budgets.Sum()),
            Math.Round(deploys.Count / days, 3),
            Spread(deploys.Select(d => d.CommitTime is { } commit ? (d.CompletedAt ?? d.RegisteredAt) - commit : (TimeSpan?)null)));
    }

    /// <summary>p50 and p90 by nearest rank, in seconds; a negative span (clocks apart) counts as zero.</summary>
    public static DurationSpread Spread(IEnumerable<TimeSpan?> spans)
    {
        var seconds = spans.OfType<TimeSpan>().Select(s => Math.Max(0, s.TotalSeconds)).Order().ToList();
        return seconds.Count == 0 ? DurationSpread.None : new DurationSpread(Math.Round(Rank(seconds, 0.5), 3), Math.Round(Rank(seconds, 0.9), 3));
    }

    private static double Rank(List<double> sorted, double quantile) => sorted[Math.Max(0, (int)Math.Ceiling(quantile * sorted.Count) - 1)];
}
