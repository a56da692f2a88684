using System.Globalization;

namespace RollbackFunctions.Core.Verification;

/// <summary>What the good and total queries answered for one window.</summary>
public sealed record WindowAnswer(MetricQueryResult Good, MetricQueryResult Total);

/// <summary>Judges an SLO burn-rate check from the answers for each window (see <see cref="BurnRateCheck"/>). Pure code.</summary>
public static class BurnRateJudge
{
    /// <summary>Every window a check's pairs name, once each.</summary>
    public static IReadOnlyList<string> WindowsOf(BurnRateCheck check) =>
        (check.Pairs(out _) ?? []).SelectMany(p => new[] { p.Short, p.Long }).Distinct(StringComparer.Ordinal).ToList();

    /// <summary>
    /// Unhealthy when any pair has both windows above its factor; otherwise an error or no data in a
    /// window it needs makes the check an error or inconclusive; otherwise healthy. The value is the
    /// burn rate of the worst pair (the lower of its two windows).
    /// </summary>
    public static CheckResult Evaluate(ConditionCheck check, IReadOnlyDictionary<string, WindowAnswer> answers)
    {
        var burn = check.BurnRate!;
        if (burn.Pairs(out var problem) is not { } pairs || pairs.Any(p => !answers.ContainsKey(p.Short) || !answers.ContainsKey(p.Long)))
        {
            // Registration refuses such a check; one stored before that rule cannot be judged, which is an error, never a breach.
            return new CheckResult(check.Name, Verdict.Error, null, $"windows: {problem ?? "a window was not queried"}");
        }

        var rates = answers.ToDictionary(a => a.Key, a => Rate(a.Value, burn.Objective), StringComparer.Ordinal);
        var judged = pairs.Select(p => (Pair: p, Short: rates[p.Short], Long: rates[p.Long])).ToList();
        var firing = judged.Where(j => j.Short.Burn > j.Pair.Factor && j.Long.Burn > j.Pair.Factor).ToList();
        var detail = string.Join("; ", judged.Select(j => $"{Describe(j.Pair.Short, j.Short)} and {Describe(j.Pair.Long, j.Long)} (limit {Format(j.Pair.Factor)}x)"));
        if (firing.Count > 0)
        {
            var worst = firing.Max(j => Math.Min(j.Short.Burn!.Value, j.Long.Burn!.Value));
            return new CheckResult(check.Name, Verdict.Unhealthy, worst, $"error budget burning {Format(worst)}x: {detail}");
        }

        var needed = judged.SelectMany(j => new[] { j.Short, j.Long }).ToList();
        if (needed.Where(r => r.Verdict == Verdict.Error).Select(r => r.Why).FirstOrDefault() is { } failed)
        {
            return new CheckResult(check.Name, Verdict.Error, null, $"query failed: {failed}");
        }

        if (needed.Where(r => r.Verdict == Verdict.Inconclusive).Select(r => r.Why).FirstOrDefault() is { } unknown)
        {
            return new CheckResult(check.Name, Verdict.Inconclusive, null, unknown);
        }

        var highest = judged.Max(j => Math.Min(j.Short.Burn!.Value, j.Long.Burn!.Value));
        return new CheckResult(check.Name, Verdict.Healthy, highest, $"error budget burning {Format(highest)}x at most: {detail}");
    }

    /// <summary>The error budget a burn rate spends in a time, as a share of a budget period: burn × duration / period.</summary>
    public static double BudgetSpent(double burnRate, TimeSpan duration, TimeSpan period) => burnRate * duration / period;

    /// <summary>Burn rate of one window: (1 - good/total) / (1 - objective); no requests is no data.</summary>
    public static (Verdict Verdict, double? Burn, string Why) Rate(WindowAnswer answer, double objective)
    {
        if ((answer.Good.Error ?? answer.Total.Error) is { } error)
        {
            return (Verdict.Error, null, error);
        }

        if ((answer.Good.Warning ?? answer.Total.Warning) is { } warning)
        {
            return (Verdict.Inconclusive, null, $"partial answer: {warning}");
        }

        var total = Sum(answer.Total);
        if (total is not > 0)
        {
            return (Verdict.Inconclusive, null, "no requests in the window");
        }

        // No good series while requests exist means nothing was good, but a missing series is more
        // often a query that matches nothing: say so rather than report a 100 % error ratio.
        if (Sum(answer.Good) is not { } good)
        {
            return (Verdict.Inconclusive, null, "the good query returned no data");
        }

        var errorRatio = Math.Clamp(1 - good / total.Value, 0, 1);
        return (Verdict.Healthy, errorRatio / (1 - objective), "");
    }

    private static double? Sum(MetricQueryResult result)
    {
        var values = result.Samples.Select(s => s.Value).Where(double.IsFinite).ToList();
        return values.Count == 0 ? null : values.Sum();
    }

    private static string Describe(string window, (Verdict Verdict, double? Burn, string Why) rate) =>
        rate.Burn is { } b ? $"{Format(b)}x over {window}" : $"{window}: {rate.Why}";

    private static string Format(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);
}
