using RollbackFunctions.Core.Verification;

namespace RollbackFunctions.Core.Watching;

/// <summary>Whether a deploy's checks may roll it back, or only report what they would do.</summary>
public enum DeployMode
{
    /// <summary>A breach rolls the deploy back.</summary>
    Act,

    /// <summary>Everything runs; a breach is recorded and paged as "would roll back", nothing is reverted.</summary>
    Observe,
}

/// <summary>One check as the watcher sampled it, with its limits resolved.</summary>
public sealed record WatchedCheck(CheckResult Result, string Query, string Threshold, int FailureLimit, int ConsecutiveErrorLimit, bool DryRun);

/// <summary>One round of the watcher: the deploy still watched, and every check's sample.</summary>
/// <param name="Live">False once the deploy is stable, halted, rolled back or gone: the watcher ends.</param>
/// <param name="EndReason">Why it is no longer watched.</param>
/// <param name="Observe">The deploy is in observe mode: breaches are reported, never acted on.</param>
/// <param name="Interval">Time to the next round.</param>
/// <param name="NoData">What a check without data counts as.</param>
/// <param name="Checks">Every check's sample.</param>
public sealed record WatchRound(bool Live, string? EndReason, bool Observe, TimeSpan Interval, NoDataPolicy NoData, IReadOnlyList<WatchedCheck> Checks)
{
    public static WatchRound Ended(string reason) => new(false, reason, false, TimeSpan.Zero, NoDataPolicy.Inconclusive, []);
}

/// <summary>A check's run of bad samples.</summary>
/// <param name="Unhealthy">Unhealthy samples in a row.</param>
/// <param name="Errors">Samples in a row that could not be evaluated.</param>
/// <param name="ErrorReported">"Cannot evaluate" was paged for this run of errors.</param>
/// <param name="BreachReported">"Would roll back" was paged for this run of unhealthy samples.</param>
public sealed record CheckStreak(int Unhealthy, int Errors, bool ErrorReported, bool BreachReported)
{
    public static CheckStreak None { get; } = new(0, 0, false, false);
}

/// <summary>Evidence of one breaching check, for the trigger, the page and the status reply.</summary>
public sealed record BreachEvidence(string Check, string Query, double? Value, string Threshold, int SamplesInARow, string Detail, bool DryRun);

/// <summary>What the watcher does after a round.</summary>
/// <param name="Breaches">Checks that crossed their failure limit this round (dry-run ones included).</param>
/// <param name="CannotEvaluate">Checks whose errors just reached their limit: paged once.</param>
public sealed record WatchDecision(IReadOnlyList<BreachEvidence> Breaches, IReadOnlyList<WatchedCheck> CannotEvaluate);

/// <summary>What the watcher shows on the deploy: its state and the last sample of every check.</summary>
public sealed record WatchReport(string State, DateTimeOffset At, IReadOnlyList<CheckResult> LastSamples, string? Note = null);
