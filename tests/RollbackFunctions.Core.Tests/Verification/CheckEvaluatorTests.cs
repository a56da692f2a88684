using RollbackFunctions.Core.Verification;

namespace RollbackFunctions.Core.Tests.Verification;

public sealed class CheckEvaluatorTests
{
    private static readonly ConditionCheck Above = new() { Name = "errors", Query = "q", UnhealthyAbove = 0.05 };
    private static readonly ConditionCheck Below = new() { Name = "throughput", Query = "q", UnhealthyBelow = 10 };

    [Theory]
    [InlineData(0.01, Verdict.Healthy)]
    [InlineData(0.05, Verdict.Healthy)]
    [InlineData(0.06, Verdict.Unhealthy)]
    [InlineData(double.PositiveInfinity, Verdict.Unhealthy)]
    [InlineData(double.NaN, Verdict.Inconclusive)]
    public void Evaluate_OneSeries_ComparesWithTheThreshold(double value, Verdict expected) =>
        Assert.Equal(expected, CheckEvaluator.Evaluate(Above, Result(value)).Verdict);

    [Fact]
    public void Evaluate_AnySeriesBreaching_IsUnhealthyAndNamesIt()
    {
        var result = CheckEvaluator.Evaluate(Above, new MetricQueryResult(
            [Sample(0.01, "a"), Sample(0.3, "b"), Sample(double.NaN, "c")], null));

        Assert.Equal(Verdict.Unhealthy, result.Verdict);
        Assert.Equal(0.3, result.Value);
        Assert.Contains("pod=\"b\"", result.Detail);
    }

    [Fact]
    public void Evaluate_BelowThreshold_IsUnhealthy() =>
        Assert.Equal(Verdict.Unhealthy, CheckEvaluator.Evaluate(Below, Result(3)).Verdict);

    [Fact]
    public void Evaluate_EmptyResult_IsInconclusiveNotHealthy()
    {
        var result = CheckEvaluator.Evaluate(Above, new MetricQueryResult([], null));

        Assert.Equal(Verdict.Inconclusive, result.Verdict);
        Assert.Equal("no data", result.Detail);
    }

    [Fact]
    public void Evaluate_QueryFailed_IsError() =>
        Assert.Equal(Verdict.Error, CheckEvaluator.Evaluate(Above, MetricQueryResult.Failed("bad_data")).Verdict);

    [Theory]
    [InlineData(NoDataPolicy.Inconclusive, Verdict.Inconclusive)]
    [InlineData(NoDataPolicy.Healthy, Verdict.Healthy)]
    [InlineData(NoDataPolicy.Unhealthy, Verdict.Unhealthy)]
    public void Combine_Inconclusive_FollowsTheNoDataPolicy(NoDataPolicy policy, Verdict expected) =>
        Assert.Equal(expected, CheckEvaluator.Combine([Check(Verdict.Healthy), Check(Verdict.Inconclusive)], policy));

    [Fact]
    public void Combine_UnhealthyBeatsErrorBeatsInconclusive()
    {
        Assert.Equal(Verdict.Unhealthy, CheckEvaluator.Combine([Check(Verdict.Error), Check(Verdict.Unhealthy)], NoDataPolicy.Inconclusive));
        Assert.Equal(Verdict.Error, CheckEvaluator.Combine([Check(Verdict.Inconclusive), Check(Verdict.Error)], NoDataPolicy.Inconclusive));
        Assert.Equal(Verdict.Error, CheckEvaluator.Combine([Check(Verdict.Error)], NoDataPolicy.Healthy));
    }

    private static CheckResult Check(Verdict verdict) => new("c", verdict, null, "");

    private static MetricSample Sample(double value, string pod) => new(new Dictionary<string, string> { ["pod"] = pod }, value);

    private static MetricQueryResult Result(double value) => new([new MetricSample(new Dictionary<string, string>(), value)], null);
}
