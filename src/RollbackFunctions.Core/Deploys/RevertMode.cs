namespace RollbackFunctions.Core.Deploys;

/// <summary>How a step may be reverted.</summary>
public enum RevertMode
{
    /// <summary>Reverted automatically by its executor.</summary>
    Auto,

    /// <summary>Reverted only after an operator approves.</summary>
    Approval,

    /// <summary>Never executed: reported as work for a human.</summary>
    Manual,
}
