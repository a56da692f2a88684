using RollbackFunctions.Core.Verification;

namespace RollbackFunctions.Core.Orchestration;

/// <summary>Input of <see cref="RollbackOrchestrator"/>. Every tunable travels here so tests can shrink it.</summary>
/// <param name="RollbackId">Also the orchestration instance id.</param>
/// <param name="DeployId">The deploy to roll back.</param>
/// <param name="TriggerAlerts">How many alerts triggered it; with no conditions, their resolving is the verification.</param>
/// <param name="Settings">Timing and retry tunables.</param>
/// <param name="Approvals">Steps the policy wants approved; null (older instances) for none.</param>
/// <param name="QuarantineFor">How long the deploy's version and artifacts are quarantined once a revert ran; null (older instances) or zero for not at all.</param>
public sealed record RollbackRequest(string RollbackId, string DeployId, int TriggerAlerts, RollbackSettings Settings, Policy.RollbackApprovals? Approvals = null, TimeSpan? QuarantineFor = null)
{
    /// <summary>
    /// The order of actions of instances started now: <see cref="PageWithFirstReverts"/>. Every code
    /// path that starts a rollback sets <see cref="ActionOrder"/> to it.
    /// </summary>
    public const int CurrentActionOrder = PageWithFirstReverts;

    /// <summary>
    /// Instances started before issue 21 (no <see cref="ActionOrder"/> in their input): the plan and the
    /// paging phase are written, then the "rollback started" page is awaited, then the first level runs.
    /// </summary>
    public const int PageFirst = 1;

    /// <summary>
    /// The plan, the phase, the "rollback started" page and the first level's reverts all start in one
    /// step; the page's delivery is awaited (within the page-wait limit) before the second level.
    /// </summary>
    public const int PageWithFirstReverts = 2;

    /// <summary>
    /// Which order of actions this instance follows. A running instance replays the order it was
    /// started with, so changing the order never breaks one in flight; null for instances started
    /// before the field existed (<see cref="PageFirst"/>).
    /// </summary>
    public int? ActionOrder { get; init; }
}

/// <summary>Timing and retry tunables of one rollback.</summary>
/// <param name="StepMaxAttempts">Durable attempts of one step's revert activity, unless the step says otherwise.</param>
/// <param name="StepFirstRetryInterval">Wait before the second attempt.</param>
/// <param name="StepBackoffCoefficient">Each further wait is this many times longer.</param>
/// <param name="StepDeadline">How long one step may take, all attempts included, before the rollback pages "stuck".</param>
/// <param name="ApprovalTimeout">How long a step waits for approval before it escalates as not approved.</param>
/// <param name="PageWaitLimit">How long the second revert level waits for the "rollback started" page (the first goes out with it; before action order 2, the first waited); a slow pager never holds the rollback back longer.</param>
/// <param name="Verification">Defaults for verification, overridden by the deploy's conditions.</param>
/// <param name="ShortestTimer">
/// Shorter durable timers are lengthened to this. The Azure Storage provider delays a timer message by
/// its remaining time truncated to whole seconds, so a timer due in under a second fires at once
/// (measured on Azurite: 1 s timers firing after ~30 ms); 1.5 s keeps every timer at least a second
/// long. Zero for engines that keep timers exactly.
/// </param>
public sealed record RollbackSettings(
    int StepMaxAttempts,
    TimeSpan StepFirstRetryInterval,
    double StepBackoffCoefficient,
    TimeSpan StepDeadline,
    TimeSpan ApprovalTimeout,
    TimeSpan PageWaitLimit,
    VerificationSettings Verification,
    TimeSpan ShortestTimer)
{
    /// <summary>Production defaults.</summary>
    public static RollbackSettings Default { get; } = new(
        StepMaxAttempts: 3,
        StepFirstRetryInterval: TimeSpan.FromSeconds(5),
        StepBackoffCoefficient: 2,
        StepDeadline: TimeSpan.FromMinutes(10),
        ApprovalTimeout: TimeSpan.FromMinutes(15),
        PageWaitLimit: TimeSpan.FromSeconds(10),
        Verification: new VerificationSettings(TimeSpan.FromSeconds(30), 3, TimeSpan.FromMinutes(10), NoDataPolicy.Inconclusive),
        ShortestTimer: TimeSpan.FromSeconds(1.5));
}

/// <summary>How verification samples health.</summary>
/// <param name="Interval">Time between samples.</param>
/// <param name="RequiredHealthyChecks">Consecutive healthy samples that prove recovery.</param>
/// <param name="Window">How long verification may take.</param>
/// <param name="NoData">What an inconclusive check counts as.</param>
public sealed record VerificationSettings(TimeSpan Interval, int RequiredHealthyChecks, TimeSpan Window, NoDataPolicy NoData)
{
    /// <summary>These settings with whatever the deploy's conditions set.</summary>
    public VerificationSettings With(RollbackConditions? conditions) => conditions is null
        ? this
        : new(conditions.Interval ?? Interval, conditions.RequiredHealthyChecks ?? RequiredHealthyChecks, conditions.VerifyWindow ?? Window, conditions.NoData ?? NoData);
}

/// <summary>Output of <see cref="RollbackOrchestrator"/>.</summary>
public sealed record RollbackResult(string RollbackId, Rollbacks.RollbackPhase Phase, string Summary, IReadOnlyDictionary<string, Deploys.StepStatus> Steps);

/// <summary>Names of the external events a rollback listens to.</summary>
public static class RollbackEvents
{
    /// <summary>An operator stops further reverts.</summary>
    public const string Abort = "abort";

    /// <summary>An operator's approve or reject for one step.</summary>
    public static string Approval(string stepId) => $"approval:{stepId}";
}

/// <summary>An operator's decision on a waiting step, or an abort.</summary>
/// <param name="Approved">Approve (true) or reject.</param>
/// <param name="Actor">Who decided, as audited.</param>
/// <param name="Reason">Why, in the operator's words.</param>
/// <param name="PlanDigest">The plan or effect the operator approved, when the step showed one.</param>
public sealed record OperatorDecision(bool Approved, string Actor, string? Reason, string? PlanDigest = null)
{
    /// <summary>Whether this decision answers the ask for <paramref name="planDigest"/>: a rejection always does, an approval only of that plan.</summary>
    public bool Answers(string? planDigest) => !Approved || planDigest is null || string.Equals(PlanDigest, planDigest, StringComparison.Ordinal);
}
