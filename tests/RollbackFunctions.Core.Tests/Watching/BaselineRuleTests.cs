using RollbackFunctions.Core.Verification;
using RollbackFunctions.Core.Watching;

namespace RollbackFunctions.Core.Tests.Watching;

/// <summary>Issue 16, defect 2: a check already failing before the deploy counts against it only when it gets worse by the tolerance.</summary>
public sealed class BaselineRuleTests
{
    private static readonly ConditionCheck Errors = new() { Name = "errors", Query = "q", UnhealthyAbove = 0.05 };

    private static CheckResult Result(Verdict verdict, double value) => new("errors", verdict, value, "");

    [Theory]
    [InlineData(0.4, 0.5, true)] // 1.25x: still the old failure
    [InlineData(0.4, 0.6, true)] // exactly 1.5x is not worse by 1.5x
    [InlineData(0.4, 0.61, false)]
    public void AlreadyFailing_UnhealthyBaseline_ExcusesUpToTheDefaultTolerance(double before, double now, bool excused) =>
        Assert.Equal(excused, BaselineRule.AlreadyFailing(Errors, Result(Verdict.Unhealthy, before), Result(Verdict.Unhealthy, now)) is not null);

    [Fact]
    public void AlreadyFailing_HealthyBaseline_ExcusesNothing() =>
        Assert.Null(BaselineRule.AlreadyFailing(Errors, Result(Verdict.Healthy, 0.01), Result(Verdict.Unhealthy, 0.4)));

    [Fact]
    public void AlreadyFailing_CheckTolerance_IsUsed() =>
        Assert.Null(BaselineRule.AlreadyFailing(Errors with { BaselineTolerance = 1.1 }, Result(Verdict.Unhealthy, 0.4), Result(Verdict.Unhealthy, 0.5)));

    [Fact]
    public void AlreadyFailing_UnhealthyBelow_WorseMeansLower()
    {
        var throughput = new ConditionCheck { Name = "rps", Query = "q", UnhealthyBelow = 100 };

        Assert.NotNull(BaselineRule.AlreadyFailing(throughput, new("rps", Verdict.Unhealthy, 60, ""), new("rps", Verdict.Unhealthy, 50, "")));
        Assert.Null(BaselineRule.AlreadyFailing(throughput, new("rps", Verdict.Unhealthy, 60, ""), new("rps", Verdict.Unhealthy, 30, "")));
    }
}
