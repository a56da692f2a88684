using System.Globalization;

namespace RollbackFunctions.Core.Verification;

/// <summary>Defaults of a divergence check.</summary>
public static class DivergenceDefaults
{
    public const int Samples = 10;
    public const int MinSamples = 5;
    public const int MaxSamples = 200;
    public const double Confidence = 0.95;
    public const double MinRequests = 1;

    /// <summary>One minute: the default rate window of the templates, so intervals do not overlap.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);

    /// <summary>Intervals each side needs above the volume floor: half the samples and never fewer than 4 (3 against 3 cannot reach p &lt; 0.05).</summary>
    public static int MinUsable(int samples) => Math.Max(4, (samples + 1) / 2);
}

/// <summary>
/// Judges a canary against its baseline over intervals. Pure code: the sampler runs the four range
/// queries, this turns them into ratios and a verdict (see <see cref="DivergenceCheck"/> for the why).
/// </summary>
public static class DivergenceJudge
{
    public static CheckResult Evaluate(ConditionCheck check, MetricRangeResult canaryBad, MetricRangeResult canaryRequests, MetricRangeResult baselineBad, MetricRangeResult baselineRequests)
    {
        var d = check.Divergence!;
        MetricRangeResult[] all = [canaryBad, canaryRequests, baselineBad, baselineRequests];
        if (all.Select(r => r.Error).FirstOrDefault(e => e is not null) is { } error)
        {
            return new CheckResult(check.Name, Verdict.Error, null, $"query failed: {error}");
        }

        if (all.Select(r => r.Warning).FirstOrDefault(w => w is not null) is { } warning)
        {
            return new CheckResult(check.Name, Verdict.Inconclusive, null, $"partial answer: {warning}");
        }

        var canary = Ratios(canaryBad, canaryRequests, d.MinRequests);
        var baseline = Ratios(baselineBad, baselineRequests, d.MinRequests);
        var needed = DivergenceDefaults.MinUsable(d.Samples);
        if (canary.Count < needed || baseline.Count < needed)
        {
            var (side, count) = canary.Count < needed ? ("canary", canary.Count) : ("baseline", baseline.Count);
            return new CheckResult(check.Name, Verdict.Inconclusive, null,
                $"too little traffic: the {side} had {count} of {d.Samples} intervals at {Format(d.MinRequests)} req/s or more, {needed} needed");
        }

        var test = MannWhitney.Greater([.. canary.Select(i => i.Ratio)], [.. baseline.Select(i => i.Ratio)]);
        var (c, b) = (Pooled(canary), Pooled(baseline));
        var ratio = b > 0 ? c / b : c > 0 ? double.PositiveInfinity : 1;
        var significant = test.PValue < 1 - d.Confidence;
        var large = ratio > d.MaxRatio && c - b >= d.MinDelta;
        var detail = $"canary {Percent(c)} vs baseline {Percent(b)} of requests bad over {canary.Count}/{baseline.Count} intervals "
            + $"({Format(ratio)}x, p = {test.PValue.ToString("0.####", CultureInfo.InvariantCulture)}; "
            + $"limit {Format(d.MaxRatio)}x{(d.MinDelta > 0 ? $" and +{Format(d.MinDelta)}" : "")} at {Format(d.Confidence * 100)} % confidence)";
        return new CheckResult(check.Name, significant && large ? Verdict.Unhealthy : Verdict.Healthy, c, detail);
    }

    /// <summary>
    /// Bad over requests for every interval whose volume reaches the floor. Series of one query are
    /// summed per timestamp; an interval with requests but no bad series counts zero bad events (a
    /// client library creates the 5xx series only on the first 5xx).
    /// </summary>
    private static List<(double Ratio, double Bad, double Requests)> Ratios(MetricRangeResult bad, MetricRangeResult requests, double minRequests)
    {
        var badAt = SumByTime(bad);
        return SumByTime(requests)
            .Where(r => r.Value >= minRequests && r.Value > 0 && double.IsFinite(r.Value))
            .Select(r => (Bad: badAt.GetValueOrDefault(r.Key), Requests: r.Value))
            .Where(i => double.IsFinite(i.Bad) && i.Bad >= 0)
            .Select(i => (Math.Min(1, i.Bad / i.Requests), i.Bad, i.Requests))
            .ToList();
    }

    private static Dictionary<DateTimeOffset, double> SumByTime(MetricRangeResult result) =>
        result.Series.SelectMany(s => s.Points).Where(p => !double.IsNaN(p.Value))
            .GroupBy(p => p.At).ToDictionary(g => g.Key, g => g.Sum(p => p.Value));

    /// <summary>All bad events over all requests: the effect size weighs busy intervals more than quiet ones.</summary>
    private static double Pooled(List<(double Ratio, double Bad, double Requests)> intervals) =>
        intervals.Sum(i => i.Bad) / intervals.Sum(i => i.Requests);

    private static string Percent(double ratio) => (ratio * 100).ToString("0.###", CultureInfo.InvariantCulture) + " %";

    private static string Format(double value) => value.ToString("G4", CultureInfo.InvariantCulture);
}
