using RollbackFunctions.Core.Verification;
using RollbackFunctions.Core.Watching;

namespace RollbackFunctions.Core.Tests.Watching;

public sealed class WatchPolicyTests
{
    private static WatchRound Round(NoDataPolicy noData = NoDataPolicy.Inconclusive, int failureLimit = 2, int errorLimit = 3, params Verdict[] verdicts) =>
        new(true, null, false, TimeSpan.FromSeconds(15), noData,
            verdicts.Select((v, i) => new WatchedCheck(new CheckResult($"c{i}", v, v == Verdict.Unhealthy ? 0.4 : 0.01, v.ToString()), "q", "above 0.05", failureLimit, errorLimit, false)).ToList());

    private static (IReadOnlyDictionary<string, CheckStreak> Streaks, List<WatchDecision> Decisions) Run(Func<Verdict, WatchRound> round, params Verdict[] samples)
    {
        IReadOnlyDictionary<string, CheckStreak> streaks = new Dictionary<string, CheckStreak>();
        var decisions = new List<WatchDecision>();
        foreach (var sample in samples)
        {
            (streaks, var decision) = WatchPolicy.Next(streaks, round(sample));
            decisions.Add(decision);
        }

        return (streaks, decisions);
    }

    [Fact]
    public void Next_UnhealthyUpToTheFailureLimit_IsOneBreach()
    {
        var (_, decisions) = Run(v => Round(verdicts: v), Verdict.Unhealthy, Verdict.Unhealthy, Verdict.Unhealthy);

        Assert.Empty(decisions[0].Breaches);
        var breach = Assert.Single(decisions[1].Breaches);
        Assert.Equal(("c0", 2, 0.4), (breach.Check, breach.SamplesInARow, breach.Value));
        Assert.Empty(decisions[2].Breaches); // reported once per run of unhealthy samples
    }

    [Fact]
    public void Next_ARecoveryBeforeTheLimit_StartsTheCountAgain()
    {
        var (_, decisions) = Run(v => Round(verdicts: v), Verdict.Unhealthy, Verdict.Healthy, Verdict.Unhealthy, Verdict.Healthy);

        Assert.All(decisions, d => Assert.Empty(d.Breaches));
    }

    [Fact]
    public void Next_QueryErrors_NeverBreach_AndAreReportedOnceAtTheirLimit()
    {
        var (_, decisions) = Run(v => Round(verdicts: v), Verdict.Error, Verdict.Error, Verdict.Error, Verdict.Error, Verdict.Error);

        Assert.All(decisions, d => Assert.Empty(d.Breaches));
        Assert.Equal([0, 0, 1, 0, 0], decisions.Select(d => d.CannotEvaluate.Count));
    }

    [Fact]
    public void Next_AnErrorBetweenUnhealthySamples_NeitherAddsNorResets()
    {
        var (_, decisions) = Run(v => Round(verdicts: v), Verdict.Unhealthy, Verdict.Error, Verdict.Unhealthy);

        Assert.Empty(decisions[1].Breaches);
        Assert.Single(decisions[2].Breaches);
    }

    [Theory]
    [InlineData(NoDataPolicy.Unhealthy, 1)]
    [InlineData(NoDataPolicy.Healthy, 0)]
    [InlineData(NoDataPolicy.Inconclusive, 0)]
    public void Next_NoData_CountsAsThePolicySays(NoDataPolicy policy, int breaches)
    {
        var (_, decisions) = Run(v => Round(policy, verdicts: v), Verdict.Inconclusive, Verdict.Inconclusive);

        Assert.Equal(breaches, decisions.Sum(d => d.Breaches.Count));
    }

    [Fact]
    public void Next_FailureLimitOne_BreachesOnTheFirstBadSample() =>
        Assert.Single(WatchPolicy.Next(new Dictionary<string, CheckStreak>(), Round(failureLimit: 1, verdicts: Verdict.Unhealthy)).Decision.Breaches);
}
