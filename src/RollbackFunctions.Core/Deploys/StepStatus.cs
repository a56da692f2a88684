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

    /// <summary>The revert passed its deadline; the rollback paged "stuck" and went on without it.</summary>
    TimedOut,

    /// <summary>The rollback was aborted before this step ran.</summary>
    Cancelled,

    /// <summary>
    /// The target already held the state from before the deploy when the rollback looked: nothing
    /// needed restoring (the deploy never changed it, or someone put it back). Terminal; never counted as reverted.
    /// </summary>
    Unchanged,

    /// <summary>CI reported the step started and not finished: at a halt it is maybe applied (in flight).</summary>
    Running,
}

/// <summary>Rules over <see cref="StepStatus"/>.</summary>
public static class StepStatusRules
{
    /// <summary>
    /// The step may be changing its target right now (SAFETY.md 2): CI said it runs, or it is pending
    /// and everything it depends on is applied, so CI may have started it just before the halt. Such a
    /// step is reverted when its target differs from the state before the deploy, and what it depends
    /// on waits for it.
    /// </summary>
    public static bool MaybeInFlight(this DeployStep step, IReadOnlyDictionary<string, DeployStep> byId) =>
        step.Status == StepStatus.Running
        || (step.Status == StepStatus.Pending && step.DependsOn.All(d => byId.TryGetValue(d, out var dep) && dep.Status is StepStatus.Applied or StepStatus.Failed));

    /// <summary>
    /// The step changed the world and nothing has undone it: CI applied it, or it failed midway (a
    /// half-applied change is still a change), or an earlier rollback left it unreverted, or one
    /// died while reverting it. A forced rollback therefore retries exactly what the first left
    /// behind; a manual step stays in the plan so it keeps blocking what it depends on.
    /// </summary>
    public static bool NeedsRevert(this StepStatus status) =>
        status is StepStatus.Applied or StepStatus.Failed or StepStatus.Reverting or StepStatus.AwaitingApproval || status.LeftUnreverted();

    /// <summary>The step changed the world and the rollback did not undo it: what depends on it must not be touched.</summary>
    public static bool LeftUnreverted(this StepStatus status) =>
        status is StepStatus.RevertFailed or StepStatus.Blocked or StepStatus.Manual
            or StepStatus.NotApproved or StepStatus.TimedOut or StepStatus.Cancelled;
}
