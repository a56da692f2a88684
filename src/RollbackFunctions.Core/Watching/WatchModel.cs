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

/// <summary>
/// One check as the watcher sampled it, with its limits resolved. <see cref="AlreadyFailing"/> is set
/// when the check was already unhealthy in the pre-deploy baseline and is not worse than it by its
/// <c>baselineTolerance</c>: why a breach of it is not this deploy's fault (<see cref="BaselineRule"/>).
/// </summary>
public sealed record WatchedCheck(CheckResult Result, string Query, string Threshold, int FailureLimit, int ConsecutiveErrorLimit, bool DryRun, string? AlreadyFailing = null);

/// <summary>One round of the watcher: the deploy still watched, and every check's sample.</summary>
/// <param name="Live">False once the deploy is stable, halted, rolled back or gone: the watcher ends.</param>
/// <param name="EndReason">Why it is no longer watched.</param>
/// <param name="Observe">The deploy is in observe mode: breaches are reported, never acted on.</param>
/// <param name="Interval">Time to the next round.</param>
/// <param name="NoData">What a check without data counts as.</param>
/// <param name="Checks">Every check's sample.</param>
/// <param name="Judged">False for the baseline round and while the deploy has applied nothing: samples are shown, never judged.</param>
/// <param name="Fault">Sampling itself failed (storage, engine): the round counts as an error sample.</param>
/// <param name="Subject">"checkout 1.4.2 in prod", for pages.</param>
/// <param name="EndCode">Why the watcher ends, as a <see cref="Deploys.DeployEnding"/> reason code.</param>
public sealed record WatchRound(bool Live, string? EndReason, bool Observe, TimeSpan Interval, NoDataPolicy NoData, IReadOnlyList<WatchedCheck> Checks, bool Judged = true, string? Fault = null, string Subject = "", string? EndCode = null)
{
    /// <summary>When the round's samples were taken; null where the round does not say.</summary>
    public DateTimeOffset? At { get; init; }

    public static WatchRound Ended(Deploys.DeployEnding ending) => new(false, ending.Detail, false, TimeSpan.Zero, NoDataPolicy.Inconclusive, [], false, EndCode: ending.Reason);

    /// <summary>A round whose sampling failed: the watcher goes on, and on-call hears once the faults reach the error limit.</summary>
    public static WatchRound Faulted(string fault, TimeSpan interval) => new(true, null, false, interval, NoDataPolicy.Inconclusive, [], true, fault);
}

/// <summary>A check's record over the watch.</summary>
/// <param name="Unhealthy">Unhealthy samples since the watch began (Argo Rollouts' <c>failureLimit</c> counts so): a flapping check breaches too.</param>
/// <param name="Errors">Samples in a row that could not be evaluated.</param>
/// <param name="ErrorReported">"Cannot evaluate" was paged for this run of errors.</param>
/// <param name="BreachReported">The breach was acted on (rolled back, or "would roll back" paged).</param>
/// <param name="InARow">Unhealthy samples in a row, for the evidence.</param>
/// <param name="AlreadyFailingReported">"Already failing before this deploy" was paged.</param>
public sealed record CheckStreak(int Unhealthy, int Errors, bool ErrorReported, bool BreachReported, int InARow = 0, bool AlreadyFailingReported = false)
{
    /// <summary>When the first unhealthy sample of the watch was taken, where the round said.</summary>
    public DateTimeOffset? FirstUnhealthyAt { get; init; }

    public static CheckStreak None { get; } = new(0, 0, false, false);
}

/// <summary>
/// Evidence of one breaching check, for the trigger, the page and the status reply:
/// <see cref="UnhealthySamples"/> since the watch began (what <c>failureLimit</c> counts), of which
/// the last <see cref="SamplesInARow"/> in a row.
/// </summary>
public sealed record BreachEvidence(string Check, string Query, double? Value, string Threshold, int SamplesInARow, string Detail, bool DryRun, int UnhealthySamples = 0)
{
    /// <summary>When the check's first unhealthy sample of the watch was taken: where time to detect starts.</summary>
    public DateTimeOffset? FirstUnhealthyAt { get; init; }
}

/// <summary>What the watcher does after a round.</summary>
/// <param name="Breaches">Checks that crossed their failure limit this round (dry-run ones included).</param>
/// <param name="CannotEvaluate">Checks whose errors just reached their limit: paged once.</param>
/// <param name="AlreadyFailing">Checks that crossed their failure limit but were as bad before the deploy: paged once, never rolled back for.</param>
public sealed record WatchDecision(IReadOnlyList<BreachEvidence> Breaches, IReadOnlyList<WatchedCheck> CannotEvaluate, IReadOnlyList<WatchedCheck>? AlreadyFailing = null);

/// <summary>
/// What the watcher shows on the deploy: its <see cref="State"/> (<c>starting</c>, <c>waiting</c>:
/// baseline taken and nothing applied yet, <c>watching</c>, <c>breached</c>, <c>wouldRollBack</c>,
/// <c>ended</c>), when it last wrote (<see cref="At"/>: how fresh this is), the last sample of every
/// check, and once ended the <see cref="Reason"/>: <c>superseded</c>, <c>abandoned</c>,
/// <c>stable</c>, <c>halted</c>, <c>rolledBack</c> (<see cref="Deploys.DeployEnding"/>).
/// </summary>
public sealed record WatchReport(string State, DateTimeOffset At, IReadOnlyList<CheckResult> LastSamples, string? Note = null, string? Reason = null)
{
    public const string Starting = "starting";
    public const string Waiting = "waiting";
    public const string Watching = "watching";
    public const string Breached = "breached";
    public const string WouldRollBack = "wouldRollBack";
    public const string EndedState = "ended";
}

/// <summary>Every check sampled when the watcher started, before the deploy applied anything: what "worse" is measured against.</summary>
public sealed record WatchBaseline(DateTimeOffset At, IReadOnlyList<CheckResult> Checks);
