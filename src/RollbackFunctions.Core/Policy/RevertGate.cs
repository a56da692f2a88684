using RollbackFunctions.Core.Deploys;

namespace RollbackFunctions.Core.Policy;

/// <summary>What happens to a step before its executor is called.</summary>
public enum RevertGateKind
{
    /// <summary>The executor is called (it may still ask an approval by effect at run time).</summary>
    Automatic,

    /// <summary>An operator approves first.</summary>
    Approval,

    /// <summary>Never executed: work for a human.</summary>
    Manual,
}

/// <summary>
/// The one rule for whether a step's revert is called, waits for an operator or is left to a human,
/// from the step's revert mode and then the environment's policy. The rollback applies it
/// (<c>StepPolicy</c>) and the plan reads it ahead (<c>RollbackPlanner</c>), so the plan says what the
/// rollback will do.
/// </summary>
public static class RevertGate
{
    public static (RevertGateKind Kind, string Why) Of(DeployStep step, RollbackApprovals approvals) => step.RevertMode switch
    {
        RevertMode.Manual => (RevertGateKind.Manual, "revert mode is manual: work for a human"),
        RevertMode.Approval => (RevertGateKind.Approval, "revert mode is approval"),
        _ when approvals.Why(step) is { } why => (RevertGateKind.Approval, why),
        _ => (RevertGateKind.Automatic, "reverted by its executor"),
    };
}
