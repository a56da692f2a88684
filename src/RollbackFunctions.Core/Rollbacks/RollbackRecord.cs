using RollbackFunctions.Core.Alerts;

namespace RollbackFunctions.Core.Rollbacks;

/// <summary>What started a rollback, kept as evidence for the page and the status endpoint.</summary>
/// <param name="Kind"><c>alert</c>, <c>watcher</c>, <c>manual</c> or <c>manual-forced</c>.</param>
/// <param name="Actor"><c>system</c>, or the operator who asked.</param>
/// <param name="Reason">The correlation decision, the breach, or the operator's reason.</param>
/// <param name="Alerts">The alerts that triggered it; empty for a manual or watcher rollback.</param>
public sealed record RollbackTrigger(string Kind, string Actor, string Reason, IReadOnlyList<AlertSignal> Alerts)
{
    /// <summary>The breaching checks, when the watcher started it: query, value, threshold, samples in a row.</summary>
    public IReadOnlyList<Watching.BreachEvidence> Breaches { get; init; } = [];
}

/// <summary>Whether a request started the rollback of a deploy, and its id either way.</summary>
public sealed record RollbackStart(string DeployId, string RollbackId, bool Started, string? Refusal = null);

/// <summary>The head of a rollback: who claimed it, where it is, how it ended.</summary>
public sealed record RollbackRecord
{
    public required string RollbackId { get; init; }
    public required string DeployId { get; init; }
    public required RollbackPhase Phase { get; init; }
    public required RollbackTrigger Trigger { get; init; }
    public required DateTimeOffset ClaimedAt { get; init; }

    /// <summary>Set once the orchestration was scheduled; a claim without it after a while was lost in a crash.</summary>
    public DateTimeOffset? ScheduledAt { get; init; }

    /// <summary>
    /// Written by the claimer: when the insert's reply is lost and the SDK's retry sees 409, the
    /// claimer finds its own token and knows the claim is its own.
    /// </summary>
    public string? ClaimToken { get; init; }

    /// <summary>What the policy wants approved, fixed at the claim; null (older heads) for none.</summary>
    public Policy.RollbackApprovals? Approvals { get; init; }

    /// <summary>
    /// How long what it reverts is quarantined (<c>Rollback:Policy:QuarantineFor</c>), fixed at the claim
    /// so a restart after a crash or a policy change keeps the rule it started under; null on heads
    /// claimed before this was recorded.
    /// </summary>
    public TimeSpan? QuarantineFor { get; init; }

    /// <summary>
    /// How often the stalled-rollback sweep restarted this rollback's orchestration after it stopped
    /// (Failed, Terminated or gone) while the rollback was not finished; bounded, then escalated.
    /// </summary>
    public int Restarts { get; init; }

    public DateTimeOffset? CompletedAt { get; init; }

    /// <summary>Pages delivered to on-call about this rollback (at least once: a retried delivery may count twice).</summary>
    public int PagesSent { get; init; }

    /// <summary>
    /// Share of a 30-day error budget the incident consumed, summed over the deploy's burn-rate
    /// checks, measured when the rollback ended; null without such checks or when not measurable.
    /// </summary>
    public double? BudgetSpent { get; init; }

    /// <summary>One sentence on the outcome, set when terminal.</summary>
    public string? Summary { get; init; }

    /// <summary>Every phase change, oldest first.</summary>
    public IReadOnlyList<PhaseChange> Timeline { get; init; } = [];

    /// <summary>When the rollback was first claimed: a take-over of a lost claim moves <see cref="ClaimedAt"/>, never the timeline's first entry.</summary>
    public DateTimeOffset FirstClaimedAt() => Timeline.Count > 0 ? Timeline[0].At : ClaimedAt;

    /// <summary>
    /// The rollback moved to <paramref name="phase"/>, or null when nothing changes. Terminal is
    /// final: a late or replayed write never reopens a finished rollback. With <paramref name="onlyFrom"/>
    /// the move happens only from that phase (a write that may land after a later one). A terminal
    /// phase also sets the completion time and the summary.
    /// </summary>
    public RollbackRecord? MovedTo(RollbackPhase phase, string? note, DateTimeOffset at, RollbackPhase? onlyFrom = null) =>
        Phase.IsTerminal() || Phase == phase || (onlyFrom is { } from && Phase != from)
            ? null
            : this with
            {
                Phase = phase,
                Summary = phase.IsTerminal() ? note ?? Summary : Summary,
                CompletedAt = phase.IsTerminal() ? at : null,
                Timeline = [.. Timeline, new PhaseChange(phase, at, note)],
            };
}

/// <summary>One entry of a rollback's timeline.</summary>
public sealed record PhaseChange(RollbackPhase Phase, DateTimeOffset At, string? Note);

/// <summary>One step's part in a rollback.</summary>
/// <param name="StepId">The deploy step.</param>
/// <param name="Kind">Its executor kind.</param>
/// <param name="Level">Revert level: 0 runs first; -1 for steps not in the plan.</param>
/// <param name="Status">Where the revert of this step is.</param>
/// <param name="Attempts">How many times the executor was called.</param>
/// <param name="StartedAt">First attempt.</param>
/// <param name="FinishedAt">When it reached its final status.</param>
/// <param name="Detail">What the executor or the planner said.</param>
public sealed record RollbackStepRecord(
    string StepId,
    string Kind,
    int Level,
    Deploys.StepStatus Status,
    int Attempts,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    string Detail)
{
    /// <summary>While the step waits for approval: when the window closes and the step escalates as not approved.</summary>
    public DateTimeOffset? ApprovalDue { get; init; }

    /// <summary>While the step waits for approval of a plan or effect: its SHA-256, which an approval must name.</summary>
    public string? PlanDigest { get; init; }

    /// <summary>
    /// What the three-state rule decided for this step in this rollback. Kept so a retried revert
    /// whose first attempt already restored the state goes on restoring (and waiting), instead of
    /// finding "the state from before" and calling its own work unchanged.
    /// </summary>
    public Executors.RevertJudgement? Judgement { get; init; }

    /// <summary>
    /// The <see cref="Executors.TargetState.Fingerprint"/> of the state <see cref="Judgement"/> was
    /// made for: a later attempt (after an approval wait, a crash, a restart) acts on that judgement
    /// only while the target still holds exactly that state.
    /// </summary>
    public string? JudgedState { get; init; }
}
