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

    /// <summary>Time to detect starts at the first unhealthy sample of the watch, which the breach carries.</summary>
    [Fact]
    public void Next_Breach_CarriesTheTimeOfTheFirstUnhealthySample()
    {
        var first = new DateTimeOffset(2026, 12, 2, 3, 0, 0, TimeSpan.Zero);
        var times = new Queue<DateTimeOffset>([first.AddSeconds(-15), first, first.AddSeconds(15), first.AddSeconds(30)]);

        var (_, decisions) = Run(v => Round(failureLimit: 2, verdicts: v) with { At = times.Dequeue() }, Verdict.Healthy, Verdict.Unhealthy, Verdict.Healthy, Verdict.Unhealthy);

        Assert.Equal(first, Assert.Single(decisions[3].Breaches).FirstUnhealthyAt);
    }

    /// <summary>
    /// Issue 16, defect 5: only failures in a row counted, so a deploy alternating bad and good never
    /// breached. <c>failureLimit</c> counts unhealthy samples since the watch began (Argo Rollouts).
    /// </summary>
    [Fact]
    public void Next_AlternatingBadAndGood_BreachesAtTheFailureLimit()
    {
        var (_, decisions) = Run(v => Round(failureLimit: 3, verdicts: v), Verdict.Unhealthy, Verdict.Healthy, Verdict.Unhealthy, Verdict.Healthy, Verdict.Unhealthy);

        Assert.Equal([0, 0, 0, 0, 1], decisions.Select(d => d.Breaches.Count));
        var breach = decisions[4].Breaches[0];
        Assert.Equal((3, 1), (breach.UnhealthySamples, breach.SamplesInARow));
    }

    /// <summary>Issue 16, defect 4: after a refusal the watcher tries again on the next unhealthy sample, not on a healthy one.</summary>
    [Fact]
    public void Rearm_AfterARefusedBreach_TheNextUnhealthySampleBreachesAgain()
    {
        var (streaks, decisions) = Run(v => Round(verdicts: v), Verdict.Unhealthy, Verdict.Unhealthy);
        streaks = WatchPolicy.Rearm(streaks, decisions[1].Breaches);

        var healthy = WatchPolicy.Next(streaks, Round(verdicts: Verdict.Healthy));
        var unhealthy = WatchPolicy.Next(healthy.Streaks, Round(verdicts: Verdict.Unhealthy));

        Assert.Empty(healthy.Decision.Breaches);
        Assert.Single(unhealthy.Decision.Breaches);
    }

    /// <summary>Issue 16, defect 2: a check as bad before the deploy pages "already failing" once and never breaches.</summary>
    [Fact]
    public void Next_AlreadyFailingInTheBaseline_PagesOnceInsteadOfBreaching()
    {
        var excused = Round(verdicts: Verdict.Unhealthy) is var r ? r with { Checks = [r.Checks[0] with { AlreadyFailing = "already failing before this deploy" }] } : null!;
        var (_, decisions) = Run(_ => excused, Verdict.Unhealthy, Verdict.Unhealthy, Verdict.Unhealthy);

        Assert.All(decisions, d => Assert.Empty(d.Breaches));
        Assert.Equal([0, 1, 0], decisions.Select(d => d.AlreadyFailing!.Count));
    }

    /// <summary>Issue 16, defect 4: a round that could not sample at all counts as an error sample, paged once at the limit.</summary>
    [Fact]
    public void Next_FaultedRounds_AreErrorsOfTheSamplingCheck_PagedOnce()
    {
        var faulted = WatchRound.Faulted("RequestFailedException: storage unavailable", TimeSpan.FromSeconds(15));
        var (_, decisions) = Run(_ => faulted, Verdict.Error, Verdict.Error, Verdict.Error, Verdict.Error, Verdict.Error);

        Assert.All(decisions, d => Assert.Empty(d.Breaches));
        var reported = Assert.Single(decisions.SelectMany(d => d.CannotEvaluate));
        Assert.Equal(WatchPolicy.SamplingCheck, reported.Result.Name);
        Assert.Equal(WatchDefaults.ConsecutiveErrorLimit - 1, decisions.FindIndex(d => d.CannotEvaluate.Count > 0));
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
