using RollbackFunctions.Core.Verification;

namespace RollbackFunctions.Core.Tests.Verification;

/// <summary>
/// Issue 16, finding 6: divergence compared the largest series of each side once, in absolute
/// rates, with no volume floor. Now: bad/requests per interval on each side, a one-sided
/// Mann-Whitney U test and an effect size.
/// </summary>
public sealed class DivergenceTests
{
    private static readonly ConditionCheck Check = new()
    {
        Name = "canary-errors",
        Divergence = new DivergenceCheck { Canary = "cb", CanaryRequests = "cr", Baseline = "bb", BaselineRequests = "br", MaxRatio = 2 },
    };

    // Bad events per second over ten one-minute intervals. The canary takes 10 % of 100 req/s.
    private static readonly double[] CanaryFivePercent = [0.45, 0.55, 0.50, 0.60, 0.40, 0.50, 0.52, 0.48, 0.50, 0.47];
    private static readonly double[] BaselineOnePercent = [0.90, 0.85, 0.95, 1.00, 0.80, 0.90, 0.92, 0.88, 0.90, 0.93];
    private static readonly double[] CanaryOnePercent = [0.09, 0.11, 0.10, 0.08, 0.12, 0.10, 0.09, 0.11, 0.10, 0.10];

    private static MetricRangeResult Series(params double[] values) => new(
        [new MetricSeries(new Dictionary<string, string>(), [.. values.Select((v, i) => new MetricPoint(DateTimeOffset.UnixEpoch.AddMinutes(i), v))])], null);

    private static MetricRangeResult Constant(double value, int count = 10) => Series([.. Enumerable.Repeat(value, count)]);

    private static CheckResult Judge(double[] canaryBad, double canaryRequests, double[] baselineBad, double baselineRequests, ConditionCheck? check = null) =>
        DivergenceJudge.Evaluate(check ?? Check, Series(canaryBad), Constant(canaryRequests, canaryBad.Length), Series(baselineBad), Constant(baselineRequests, baselineBad.Length));

    [Fact]
    public void Evaluate_CanaryFiveTimesWorseAtTenPercentOfTraffic_IsUnhealthy()
    {
        // In absolute rates the canary (0.5 bad/s) looks better than the baseline (0.9 bad/s).
        Assert.True(CanaryFivePercent.Average() < BaselineOnePercent.Average());

        var result = Judge(CanaryFivePercent, 10, BaselineOnePercent, 90);

        Assert.Equal(Verdict.Unhealthy, result.Verdict);
        Assert.Equal(0.0497, result.Value!.Value, 4);
        Assert.Contains("p = 0.0001", result.Detail);
    }

    [Fact]
    public void Evaluate_CanaryAsGoodAsTheBaseline_IsHealthy() =>
        Assert.Equal(Verdict.Healthy, Judge(CanaryOnePercent, 10, BaselineOnePercent, 90).Verdict);

    [Fact]
    public void Evaluate_SignificantButSmallDifference_IsHealthy()
    {
        // The canary is consistently 1.2x the baseline: real, but under maxRatio 2.
        double[] slightlyWorse = [.. CanaryOnePercent.Select(v => v * 1.2 + 0.02)];

        Assert.Equal(Verdict.Healthy, Judge(slightlyWorse, 10, BaselineOnePercent, 90).Verdict);
    }

    [Fact]
    public void Evaluate_OneBadIntervalAgainstAZeroBaseline_IsNoiseNotABreach() =>
        Assert.Equal(Verdict.Healthy, Judge([0.01, 0, 0, 0, 0, 0, 0, 0, 0, 0], 10, [.. Enumerable.Repeat(0.0, 10)], 90).Verdict);

    [Fact]
    public void Evaluate_CanaryBelowTheVolumeFloor_IsInconclusive()
    {
        var result = Judge(CanaryFivePercent, 0.5, BaselineOnePercent, 90);

        Assert.Equal(Verdict.Inconclusive, result.Verdict);
        Assert.Contains("the canary had 0 of 10 intervals at 1 req/s", result.Detail);
    }

    [Fact]
    public void Evaluate_NoBadSeriesAtAll_IsZeroErrors_NotNoData()
    {
        var none = new MetricRangeResult([], null);

        var result = DivergenceJudge.Evaluate(Check, none, Constant(10), none, Constant(90));

        Assert.Equal(Verdict.Healthy, result.Verdict);
        Assert.Equal(0, result.Value);
    }

    [Fact]
    public void Evaluate_FailedQuery_IsAnError_AndAPartialAnswerInconclusive()
    {
        Assert.Equal(Verdict.Error, DivergenceJudge.Evaluate(Check, Series(CanaryFivePercent), MetricRangeResult.Failed("timeout"), Series(BaselineOnePercent), Constant(90)).Verdict);
        var partial = DivergenceJudge.Evaluate(Check, Series(CanaryFivePercent), Constant(10), Series(BaselineOnePercent), new MetricRangeResult([], null, "store eu1 unreachable"));
        Assert.Equal((Verdict.Inconclusive, "partial answer: store eu1 unreachable"), (partial.Verdict, partial.Detail));
    }

    [Fact]
    public void Evaluate_HigherConfidence_NeedsMoreEvidence()
    {
        // Five intervals each, completely separated (with a tie inside the canary): p ≈ 0.006.
        var strict = Check with { Divergence = Check.Divergence! with { Samples = 5, Confidence = 0.999 } };
        var usual = Check with { Divergence = Check.Divergence! with { Samples = 5 } };
        double[] canary = [0.5, 0.6, 0.55, 0.45, 0.5];
        double[] baseline = [0.9, 0.8, 0.85, 1.0, 0.95];

        Assert.Equal(Verdict.Unhealthy, Judge(canary, 10, baseline, 90, usual).Verdict);
        Assert.Equal(Verdict.Healthy, Judge(canary, 10, baseline, 90, strict).Verdict);
    }
}
