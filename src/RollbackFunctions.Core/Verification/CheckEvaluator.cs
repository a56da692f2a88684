using System.Globalization;

namespace RollbackFunctions.Core.Verification;

/// <summary>The result of one check at one moment.</summary>
/// <param name="Name">The check.</param>
/// <param name="Verdict">Its four-valued verdict.</param>
/// <param name="Value">The worst series value, when there was one.</param>
/// <param name="Detail">Why, in a sentence fit for a page.</param>
public sealed record CheckResult(string Name, Verdict Verdict, double? Value, string Detail);

/// <summary>Turns query results into verdicts. Pure code.</summary>
public static class CheckEvaluator
{
    /// <summary>Judges one check: any breaching series makes it unhealthy; no series, only NaN or a partial answer is inconclusive.</summary>
    public static CheckResult Evaluate(ConditionCheck check, MetricQueryResult result)
    {
        if (result.Error is not null)
        {
            return new CheckResult(check.Name, Verdict.Error, null, $"query failed: {result.Error}");
        }

        if (result.Warning is { } warning)
        {
            // A partial answer may lack the very series that breaches, or the only healthy one.
            return new CheckResult(check.Name, Verdict.Inconclusive, null, $"partial answer: {warning}");
        }

        var numbers = result.Samples.Where(s => !double.IsNaN(s.Value)).ToList();
        if (numbers.Count == 0)
        {
            return new CheckResult(check.Name, Verdict.Inconclusive, null, result.Samples.Count == 0 ? "no data" : "only NaN values");
        }

        var breach = numbers.FirstOrDefault(s => s.Value > check.UnhealthyAbove || s.Value < check.UnhealthyBelow);
        if (breach is not null)
        {
            var threshold = breach.Value > check.UnhealthyAbove ? $"above {Format(check.UnhealthyAbove!.Value)}" : $"below {Format(check.UnhealthyBelow!.Value)}";
            return new CheckResult(check.Name, Verdict.Unhealthy, breach.Value, $"{Format(breach.Value)} is {threshold}{Series(breach)}");
        }

        var worst = check.UnhealthyAbove is not null ? numbers.MaxBy(s => s.Value)! : numbers.MinBy(s => s.Value)!;
        return new CheckResult(check.Name, Verdict.Healthy, worst.Value, $"{Format(worst.Value)} within bounds across {numbers.Count} series");
    }

    /// <summary>
    /// Combines the checks of one sample: any unhealthy check makes it unhealthy, then any error,
    /// then any inconclusive (mapped through the no-data policy).
    /// </summary>
    public static Verdict Combine(IEnumerable<CheckResult> checks, NoDataPolicy noData)
    {
        var verdicts = checks.Select(c => c.Verdict == Verdict.Inconclusive ? Apply(noData) : c.Verdict).ToList();
        return verdicts.Contains(Verdict.Unhealthy) ? Verdict.Unhealthy
            : verdicts.Contains(Verdict.Error) ? Verdict.Error
            : verdicts.Contains(Verdict.Inconclusive) ? Verdict.Inconclusive
            : Verdict.Healthy;
    }

    private static Verdict Apply(NoDataPolicy policy) => policy switch
    {
        NoDataPolicy.Healthy => Verdict.Healthy,
        NoDataPolicy.Unhealthy => Verdict.Unhealthy,
        _ => Verdict.Inconclusive,
    };

    private static string Format(double value) => value.ToString("G6", CultureInfo.InvariantCulture);

    private static string Series(MetricSample sample) =>
        sample.Labels.Count == 0 ? "" : $" for {{{string.Join(", ", sample.Labels.Where(l => l.Key != "__name__").Select(l => $"{l.Key}=\"{l.Value}\""))}}}";
}
