using RollbackFunctions.Core.Rollbacks;

namespace RollbackFunctions.Core.Deploys;

public sealed partial record DeployRecord
{
    /// <summary>
    /// The deploy halted by <paramref name="rollbackId"/>, or null when it already is: from here its
    /// gate refuses further steps and the set of applied steps is fixed.
    /// </summary>
    public DeployRecord? HaltedBy(string rollbackId) =>
        State == DeployState.Halted && RollbackId == rollbackId ? null : this with { State = DeployState.Halted, RollbackId = rollbackId };

    /// <summary>
    /// CI reported completion: pending and running steps count as applied, with the states read from
    /// their targets (<paramref name="afters"/>), and the bake window starts. Null when the deploy is
    /// no longer active (completed already, or halted).
    /// </summary>
    public DeployRecord? Completed(DateTimeOffset now, IReadOnlyDictionary<string, Executors.TargetState>? afters = null) =>
        State != DeployState.Active
            ? null
            : this with
            {
                State = DeployState.Baking,
                CompletedAt = now,
                Steps = Steps.Select(s => s.Status is StepStatus.Pending or StepStatus.Running
                    ? s with { Status = StepStatus.Applied, UpdatedAt = now, After = afters?.GetValueOrDefault(s.Id) ?? s.After }
                    : s).ToList(),
            };

    /// <summary>
    /// The deploy after its rollback ended in <paramref name="phase"/>, with the final status of
    /// every step the rollback decided about.
    /// </summary>
    public DeployRecord RolledBack(RollbackPhase phase, IReadOnlyDictionary<string, StepStatus> decided, DateTimeOffset now) =>
        this with
        {
            State = phase.DeployStateAfter(),
            Steps = Steps.Select(s => FinalStep(s, decided.TryGetValue(s.Id, out var status) ? status : null, now)).ToList(),
        };

    /// <summary>
    /// A step as its rollback left it. One that CI applied after the halt and the rollback did not
    /// revert (planned as never applied, or found unchanged before CI's apply landed) stays applied:
    /// it is live, and a forced rollback must still find it.
    /// </summary>
    private static DeployStep FinalStep(DeployStep step, StepStatus? decided, DateTimeOffset now)
    {
        if (decided is not { } status || status == step.Status)
        {
            return step;
        }

        var appliedAfterHalt = step.ReportedAfterHalt || (status == StepStatus.Skipped && step.Status.NeedsRevert());
        if (status is StepStatus.Skipped or StepStatus.Unchanged && appliedAfterHalt)
        {
            return step.Status.NeedsRevert() ? step : step with { Status = StepStatus.Applied, UpdatedAt = now };
        }

        return step with { Status = status, UpdatedAt = now };
    }

    /// <summary>
    /// CI's report on a step (applied, failed, running) with the state it found the target in. After
    /// a halt it is recorded all the same, as evidence, and marked: the step is live.
    /// </summary>
    public DeployRecord? Reported(string stepId, StepStatus status, Executors.TargetState? after, DateTimeOffset at)
    {
        if (FindStep(stepId) is not { } step || (step.Status == status && after is null))
        {
            return null;
        }

        var halted = State.ClosesGate() && status is StepStatus.Applied or StepStatus.Failed;
        var reported = step with
        {
            Status = status,
            UpdatedAt = at,
            After = after ?? step.After,
            ReportedAfterHalt = step.ReportedAfterHalt || halted,
        };
        return this with { Steps = Steps.Select(s => s.Id == stepId ? reported : s).ToList() };
    }

    /// <summary>A copy with one step's status changed, or null when the step is unknown or already has it.</summary>
    public DeployRecord? WithStepStatus(string stepId, StepStatus status, DateTimeOffset at)
    {
        var step = FindStep(stepId);
        if (step is null || step.Status == status)
        {
            return null;
        }

        return this with { Steps = Steps.Select(s => s.Id == stepId ? s with { Status = status, UpdatedAt = at } : s).ToList() };
    }
}
