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
    /// CI reported completion: pending steps count as applied and the bake window starts. Null when
    /// the deploy is no longer active (completed already, or halted).
    /// </summary>
    public DeployRecord? Completed(DateTimeOffset now) =>
        State != DeployState.Active
            ? null
            : this with
            {
                State = DeployState.Baking,
                CompletedAt = now,
                Steps = Steps.Select(s => s.Status == StepStatus.Pending ? s with { Status = StepStatus.Applied, UpdatedAt = now } : s).ToList(),
            };

    /// <summary>
    /// The deploy after its rollback ended in <paramref name="phase"/>, with the final status of
    /// every step the rollback decided about.
    /// </summary>
    public DeployRecord RolledBack(RollbackPhase phase, IReadOnlyDictionary<string, StepStatus> decided, DateTimeOffset now) =>
        this with
        {
            State = phase.DeployStateAfter(),
            Steps = Steps.Select(s => decided.TryGetValue(s.Id, out var status) && status != s.Status
                    // A step planned as never applied that CI applied after the halt keeps its status: it is live.
                    && !(status == StepStatus.Skipped && s.Status.NeedsRevert())
                ? s with { Status = status, UpdatedAt = now }
                : s).ToList(),
        };

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
