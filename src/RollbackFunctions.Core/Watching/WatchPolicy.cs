using RollbackFunctions.Core.Verification;

namespace RollbackFunctions.Core.Watching;

/// <summary>
/// The watcher's rules, as pure code. Unhealthy samples in a row up to a check's failure limit make
/// a breach; a healthy sample ends the run. A check that cannot be evaluated (query errors) neither
/// adds to nor ends a run of unhealthy samples, and after its error limit is paged once, never
/// rolling back by itself. No data counts as the no-data policy says.
/// </summary>
public static class WatchPolicy
{
    public static (IReadOnlyDictionary<string, CheckStreak> Streaks, WatchDecision Decision) Next(
        IReadOnlyDictionary<string, CheckStreak> streaks, WatchRound round)
    {
        var next = new Dictionary<string, CheckStreak>(StringComparer.Ordinal);
        var breaches = new List<BreachEvidence>();
        var cannotEvaluate = new List<WatchedCheck>();
        foreach (var check in round.Checks)
        {
            var streak = Advance(streaks.GetValueOrDefault(check.Result.Name) ?? CheckStreak.None, Judged(check.Result.Verdict, round.NoData));
            if (streak.Unhealthy >= check.FailureLimit && !streak.BreachReported)
            {
                breaches.Add(new BreachEvidence(check.Result.Name, check.Query, check.Result.Value, check.Threshold, streak.Unhealthy, check.Result.Detail, check.DryRun));
                streak = streak with { BreachReported = true };
            }

            if (streak.Errors >= check.ConsecutiveErrorLimit && !streak.ErrorReported)
            {
                cannotEvaluate.Add(check);
                streak = streak with { ErrorReported = true };
            }

            next[check.Result.Name] = streak;
        }

        return (next, new WatchDecision(breaches, cannotEvaluate));
    }

    private static CheckStreak Advance(CheckStreak streak, Verdict verdict) => verdict switch
    {
        Verdict.Unhealthy => streak with { Unhealthy = streak.Unhealthy + 1, Errors = 0, ErrorReported = false },
        Verdict.Error => streak with { Errors = streak.Errors + 1 },
        Verdict.Healthy => CheckStreak.None,
        _ => streak with { Errors = 0, ErrorReported = false }, // no data: neither evidence of failure nor of health
    };

    private static Verdict Judged(Verdict verdict, NoDataPolicy noData) =>
        verdict != Verdict.Inconclusive ? verdict
        : noData == NoDataPolicy.Unhealthy ? Verdict.Unhealthy
        : noData == NoDataPolicy.Healthy ? Verdict.Healthy
        : Verdict.Inconclusive;
}
