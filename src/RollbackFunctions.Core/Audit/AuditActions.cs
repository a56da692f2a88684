namespace RollbackFunctions.Core.Audit;

/// <summary>
/// The audit trail's action names: one vocabulary that operators filter on and that the audit
/// endpoint returns, so each is written once here.
/// </summary>
public static class AuditActions
{
    public const string DeployRegistered = "deploy.registered";
    public const string StepReported = "step.reported";
    public const string DeployCompleted = "deploy.completed";
    public const string AlertReceived = "alert.received";
    public const string AlertRejected = "alert.rejected";
    public const string RollbackClaimed = "rollback.claimed";
    public const string PolicyDecided = "policy.decided";
    public const string DeployHalted = "deploy.halted";
    public const string GitOpsHeld = "gitops.held";
    public const string GitOpsReheld = "gitops.reheld";
    public const string GitOpsResumed = "gitops.resumed";
    public const string PhaseChanged = "phase.changed";
    public const string PageSent = "page.sent";
    public const string StepStarted = "step.started";
    public const string StepFinished = "step.finished";
    public const string StepReportedAfterHalt = "step.reportedAfterHalt";
    public const string ApprovalDecided = "approval.decided";
    public const string ApprovalTimedOut = "approval.timedOut";
    public const string ApprovalAbandoned = "approval.abandoned";

    /// <summary>Someone not allowed to decide clicked Approve or Reject (a Slack user not in <c>Rollback:Slack:Operators</c>); nothing was done.</summary>
    public const string ApprovalRefused = "approval.refused";
    public const string VerificationSample = "verification.sample";
    public const string RollbackCompleted = "rollback.completed";
    public const string RollbackRestarted = "rollback.restarted";

    /// <summary>The reverted deploy's version and artifacts may not be deployed again for a while.</summary>
    public const string Quarantined = "quarantine.added";

    /// <summary>The dry runs of a deploy's rollback ran; per step, what each found.</summary>
    public const string Rehearsed = "rehearsal.ran";

    /// <summary>An operator waived the readiness an environment requires, for one deploy.</summary>
    public const string ReadinessWaived = "readiness.waived";

    /// <summary>An operator lifted a quarantine early.</summary>
    public const string QuarantineReleased = "quarantine.released";
}

/// <summary>Who acted, when it was not a named operator.</summary>
public static class RollbackActors
{
    /// <summary>The product itself.</summary>
    public const string System = "system";

    /// <summary>A CI pipeline reporting on its deploy.</summary>
    public const string Ci = "ci";
}

/// <summary>What started a rollback (<see cref="Rollbacks.RollbackTrigger.Kind"/>).</summary>
public static class TriggerKinds
{
    /// <summary>A correlated alert.</summary>
    public const string Alert = "alert";

    /// <summary>The deploy's own watcher saw a check breach.</summary>
    public const string Watcher = "watcher";

    /// <summary>An operator or pipeline asked.</summary>
    public const string Manual = "manual";

    /// <summary>An operator asked for another rollback after the first ended.</summary>
    public const string ManualForced = "manual-forced";
}

/// <summary>Names of audit chains that are not a rollback's own.</summary>
public static class AuditChains
{
    private const int IntakeShards = 16;

    /// <summary>
    /// The chain of an alert that started no rollback: one per day and shard, so an alert storm
    /// spreads over sixteen chain heads instead of contending for one.
    /// </summary>
    public static string Intake(DateTimeOffset at, string key)
    {
        var shard = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(key))[0] % IntakeShards;
        return $"intake-{at.UtcDateTime:yyyyMMdd}-{shard:x}";
    }
}
