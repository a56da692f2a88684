namespace RollbackFunctions.Core.Deploys;

/// <summary>Status of one deploy step, first as CI reports it, then as the rollback changes it.</summary>
public enum StepStatus
{
    /// <summary>Not reported yet.</summary>
    Pending,

    /// <summary>CI applied the step: it is a candidate for revert.</summary>
    Applied,

    /// <summary>CI reported the step failed. It may have partly applied, so it is reverted too.</summary>
    Failed,

    /// <summary>The revert is running.</summary>
    Reverting,

    /// <summary>The executor confirmed the revert.</summary>
    Reverted,

    /// <summary>Every attempt to revert failed.</summary>
    RevertFailed,

    /// <summary>Not touched because a step that must be reverted before it was not.</summary>
    Blocked,

    /// <summary>Never applied, so nothing to revert.</summary>
    Skipped,

    /// <summary>Revert mode <c>manual</c>: listed as work for a human, never executed.</summary>
    Manual,

    /// <summary>Awaiting an operator's approval before the revert runs.</summary>
    AwaitingApproval,

    /// <summary>Approval was rejected or timed out; not executed.</summary>
    NotApproved,
}

/// <summary>Rules over <see cref="StepStatus"/>.</summary>
public static class StepStatusRules
{
    /// <summary>
    /// A step that CI applied, or that failed midway, changed the world and must be reverted.
    /// A failed step is included because a half-applied change is still a change.
    /// </summary>
    public static bool NeedsRevert(this StepStatus status) => status is StepStatus.Applied or StepStatus.Failed;

    /// <summary>Whether the rollback is done with this step, whatever the outcome.</summary>
    public static bool IsTerminal(this StepStatus status) =>
        status is StepStatus.Reverted or StepStatus.RevertFailed or StepStatus.Blocked
            or StepStatus.Skipped or StepStatus.Manual or StepStatus.NotApproved;
}
