using System.Text.Json;
using RollbackFunctions.Core.Verification;

namespace RollbackFunctions.Core.Tests.Verification;

/// <summary>The SRE workbook's multiwindow, multi-burn-rate rule (issue 16, "SLO burn rate as a check type").</summary>
public sealed class BurnRateTests
{
    private static readonly ConditionCheck Budget = new()
    {
        Name = "budget",
        BurnRate = new BurnRateCheck { Objective = 0.999, Good = "good[$window]", Total = "total[$window]" }, // the default pairs: 5m/1h 14.4x, 30m/6h 6x
    };

    private static MetricQueryResult Value(double value) => new([new MetricSample(new Dictionary<string, string>(), value)], null);

    /// <summary>Answers with the given error ratio per window, at 100 requests per second.</summary>
    private static Dictionary<string, WindowAnswer> ErrorRatios(double fiveMinutes, double oneHour, double thirtyMinutes, double sixHours) => new()
    {
        ["5m"] = new(Value(100 * (1 - fiveMinutes)), Value(100)),
        ["1h"] = new(Value(100 * (1 - oneHour)), Value(100)),
        ["30m"] = new(Value(100 * (1 - thirtyMinutes)), Value(100)),
        ["6h"] = new(Value(100 * (1 - sixHours)), Value(100)),
    };

    [Fact]
    public void Evaluate_FastBurnInBothWindowsOfAPair_IsUnhealthy()
    {
        // 2 % errors against a 0.1 % budget: burning 20x, over 14.4 in both 5m and 1h.
        var result = BurnRateJudge.Evaluate(Budget, ErrorRatios(0.02, 0.02, 0.004, 0.001));

        Assert.Equal(Verdict.Unhealthy, result.Verdict);
        Assert.Equal(20, result.Value!.Value, 6);
        Assert.Contains("20x over 5m and 20x over 1h (limit 14.4x)", result.Detail);
    }

    [Fact]
    public void Evaluate_SlowBurn_IsHealthy() =>
        // 0.5 % errors: 5x, under every factor; it spends the budget in six days, a ticket, not a rollback.
        Assert.Equal(Verdict.Healthy, BurnRateJudge.Evaluate(Budget, ErrorRatios(0.005, 0.005, 0.005, 0.005)).Verdict);

    [Fact]
    public void Evaluate_ShortWindowRecovered_IsHealthy_ThoughTheLongOneStillRemembers() =>
        // After a rollback the 1h window still holds the incident; the 5m window says it is over.
        Assert.Equal(Verdict.Healthy, BurnRateJudge.Evaluate(Budget, ErrorRatios(0.0005, 0.03, 0.004, 0.002)).Verdict);

    [Fact]
    public void Evaluate_SpikeOnlyInTheShortWindow_IsHealthy() =>
        Assert.Equal(Verdict.Healthy, BurnRateJudge.Evaluate(Budget, ErrorRatios(0.5, 0.01, 0.004, 0.001)).Verdict);

    [Fact]
    public void Evaluate_NoRequests_IsInconclusive_AndAFailedQueryAnError()
    {
        var answers = ErrorRatios(0, 0, 0, 0);
        answers["1h"] = new(new MetricQueryResult([], null), new MetricQueryResult([], null));
        Assert.Equal(Verdict.Inconclusive, BurnRateJudge.Evaluate(Budget, answers).Verdict);

        answers["1h"] = new(MetricQueryResult.Failed("timeout"), Value(100));
        Assert.Equal(Verdict.Error, BurnRateJudge.Evaluate(Budget, answers).Verdict);
    }

    [Fact]
    public void Evaluate_FiringPairWinsOverAnotherPairsError()
    {
        var answers = ErrorRatios(0.02, 0.02, 0, 0);
        answers["6h"] = new(MetricQueryResult.Failed("timeout"), Value(100));

        Assert.Equal(Verdict.Unhealthy, BurnRateJudge.Evaluate(Budget, answers).Verdict);
    }

    [Fact]
    public void Pairs_AsRegistered_AreReadFromTheJsonArrays()
    {
        var check = JsonSerializer.Deserialize<BurnRateCheck>("""{"objective":0.99,"good":"g","total":"t","windows":[["2s","6s",10]]}""", new JsonSerializerOptions(JsonSerializerDefaults.Web))!;

        Assert.Equal([new BurnWindowPair("2s", "6s", 10)], check.Pairs(out _)!);
        Assert.Equal(["2s", "6s"], BurnRateJudge.WindowsOf(check));
    }

    [Theory]
    [InlineData("5m", 300.0)]
    [InlineData("1h30m", 5400.0)]
    [InlineData("1d", 86400.0)]
    [InlineData("5", null)]
    [InlineData("5min", null)]
    public void DurationOf_PrometheusDurations(string text, double? seconds) =>
        Assert.Equal(seconds, BurnRateCheck.DurationOf(text)?.TotalSeconds);

    [Fact]
    public void BudgetSpent_FourteenPointFourForAnHour_IsTwoPercentOfThirtyDays() =>
        Assert.Equal(0.02, BurnRateJudge.BudgetSpent(14.4, TimeSpan.FromHours(1), TimeSpan.FromDays(30)), 6);
}
