using RollbackFunctions.Core.Tests.TestDoubles;
using RollbackFunctions.Core.Verification;

namespace RollbackFunctions.Core.Tests.Verification;

public sealed class DivergenceTests
{
    private static readonly ConditionCheck Check = new()
    {
        Name = "canary-errors",
        Divergence = new DivergenceCheck { Canary = "canary", Baseline = "baseline", MaxRatio = 2, MinDelta = 0.01 },
    };

    [Theory]
    [InlineData(0.10, 0.02, Verdict.Unhealthy)] // 5x and +0.08
    [InlineData(0.03, 0.02, Verdict.Healthy)] // 1.5x
    [InlineData(0.004, 0.001, Verdict.Healthy)] // 4x but only +0.003: a near-zero baseline does not flap
    [InlineData(0.02, 0.02, Verdict.Healthy)]
    public void EvaluateDivergence_NeedsBothTheRatioAndTheDelta(double canary, double baseline, Verdict expected) =>
        Assert.Equal(expected, CheckEvaluator.EvaluateDivergence(Check, ScriptedMetricSource.Value(canary), ScriptedMetricSource.Value(baseline)).Verdict);

    [Fact]
    public void EvaluateDivergence_NoBaseline_IsInconclusive_AndAFailedQueryAnError()
    {
        Assert.Equal(Verdict.Inconclusive, CheckEvaluator.EvaluateDivergence(Check, ScriptedMetricSource.Value(0.1), new MetricQueryResult([], null)).Verdict);
        Assert.Equal(Verdict.Error, CheckEvaluator.EvaluateDivergence(Check, MetricQueryResult.Failed("timeout"), ScriptedMetricSource.Value(0.1)).Verdict);
    }
}
