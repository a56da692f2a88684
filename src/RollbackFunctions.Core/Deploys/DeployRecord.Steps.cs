namespace RollbackFunctions.Core.Deploys;

public sealed partial record DeployRecord
{
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
