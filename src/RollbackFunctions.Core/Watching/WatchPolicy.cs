using RollbackFunctions.Core.Verification;

namespace RollbackFunctions.Core.Watching;

/// <summary>
/// The watcher's rules, as pure code. A check breaches when its unhealthy samples since the watch
/// began reach its failure limit (counted across the run, as Argo Rollouts' <c>failureLimit</c> and
/// Flagger's <c>threshold</c> do, so a check that flaps bad and good breaches too). A check already
/// as bad before the deploy (<see cref="BaselineRule"/>) pages "already failing" once instead. A
/// check that cannot be evaluated (query errors, a failed round) neither adds to nor ends anything,
/// and after its error limit in a row is paged once, never rolling back by itself. No data counts
/// as the no-data policy says.
/// </summary>
public static class WatchPolicy
{
    /// <summary>The pseudo-check a failed round (storage, engine) counts against.</summary>
    public const string SamplingCheck = "sampling";

    public static (IReadOnlyDictionary<string, CheckStreak> Streaks, WatchDecision Decision) Next(
        IReadOnlyDictionary<string, CheckStreak> streaks, WatchRound round)
    {
        var next = new Dictionary<string, CheckStreak>(streaks, StringComparer.Ordinal);
        var breaches = new List<BreachEvidence>();
        var cannotEvaluate = new List<WatchedCheck>();
        var alreadyFailing = new List<WatchedCheck>();
        foreach (var check in ChecksOf(round))
        {
            var verdict = Judged(check.Result.Verdict, round.NoData);
            var streak = Advance(streaks.GetValueOrDefault(check.Result.Name) ?? CheckStreak.None, verdict, round.At);
            // Only an unhealthy sample breaches: after a refusal the next bad one tries again, a good one does not.
            if (verdict == Verdict.Unhealthy && streak.Unhealthy >= check.FailureLimit && !streak.BreachReported)
            {
                if (check.AlreadyFailing is null)
                {
                    breaches.Add(new BreachEvidence(check.Result.Name, check.Query, check.Result.Value, check.Threshold, streak.InARow, check.Result.Detail, check.DryRun, streak.Unhealthy) { FirstUnhealthyAt = streak.FirstUnhealthyAt });
                    streak = streak with { BreachReported = true };
                }
                else if (!streak.AlreadyFailingReported)
                {
                    alreadyFailing.Add(check);
                    streak = streak with { AlreadyFailingReported = true };
                }
            }

            if (streak.Errors >= check.ConsecutiveErrorLimit && !streak.ErrorReported)
            {
                cannotEvaluate.Add(check);
                streak = streak with { ErrorReported = true };
            }

            next[check.Result.Name] = streak;
        }

        return (next, new WatchDecision(breaches, cannotEvaluate, alreadyFailing));
    }

    /// <summary>
    /// The streaks after a breach that started no rollback (a policy refusal, a launch that failed):
    /// the next unhealthy sample tries again, so the watcher acts once the policy's window allows.
    /// The gate pages a refusal once per rule and window, so retrying does not page again.
    /// </summary>
    public static IReadOnlyDictionary<string, CheckStreak> Rearm(IReadOnlyDictionary<string, CheckStreak> streaks, IEnumerable<BreachEvidence> breaches)
    {
        var next = new Dictionary<string, CheckStreak>(streaks, StringComparer.Ordinal);
        foreach (var breach in breaches.Where(b => next.ContainsKey(b.Check)))
        {
            next[breach.Check] = next[breach.Check] with { BreachReported = false };
        }

        return next;
    }

    /// <summary>A failed round is one error sample of a pseudo-check, so a watcher that cannot sample is paged like a check that cannot be evaluated.</summary>
    private static IEnumerable<WatchedCheck> ChecksOf(WatchRound round) => round.Fault is { } fault
        ? [new WatchedCheck(new CheckResult(SamplingCheck, Verdict.Error, null, $"the watcher could not sample: {fault}"), "", "", WatchDefaults.MaxLimit, WatchDefaults.ConsecutiveErrorLimit, DryRun: true)]
        : round.Checks;

    private static CheckStreak Advance(CheckStreak streak, Verdict verdict, DateTimeOffset? at) => verdict switch
    {
        Verdict.Unhealthy => streak with { Unhealthy = streak.Unhealthy + 1, InARow = streak.InARow + 1, Errors = 0, ErrorReported = false, FirstUnhealthyAt = streak.FirstUnhealthyAt ?? at },
        Verdict.Error => streak with { Errors = streak.Errors + 1 },
        Verdict.Healthy => streak with { InARow = 0, Errors = 0, ErrorReported = false },
        _ => streak with { Errors = 0, ErrorReported = false }, // no data: neither evidence of failure nor of health
    };

    private static Verdict Judged(Verdict verdict, NoDataPolicy noData) =>
        verdict != Verdict.Inconclusive ? verdict
        : noData == NoDataPolicy.Unhealthy ? Verdict.Unhealthy
        : noData == NoDataPolicy.Healthy ? Verdict.Healthy
        : Verdict.Inconclusive;
}
