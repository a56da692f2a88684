namespace RollbackFunctions.Core.Rollbacks;

/// <summary>Where a rollback is. The vocabulary is fixed: status replies, audit rows and pages use it.</summary>
public enum RollbackPhase
{
    /// <summary>Claimed; the deploy is being halted.</summary>
    Halting,

    /// <summary>On-call is being paged with the evidence.</summary>
    Paging,

    /// <summary>Applied steps are being reverted, level by level.</summary>
    RollingBack,

    /// <summary>A step waits for an operator.</summary>
    AwaitingApproval,

    /// <summary>Reverts done; health is being checked.</summary>
    Verifying,

    /// <summary>Every step that could be reverted was, and health came back.</summary>
    Succeeded,

    /// <summary>Something was not reverted or health did not come back.</summary>
    Failed,

    /// <summary>An operator stopped the rollback.</summary>
    Aborted,
}

/// <summary>Rules over <see cref="RollbackPhase"/>.</summary>
public static class RollbackPhaseRules
{
    /// <summary>Whether the rollback has ended.</summary>
    public static bool IsTerminal(this RollbackPhase phase) =>
        phase is RollbackPhase.Succeeded or RollbackPhase.Failed or RollbackPhase.Aborted;

    /// <summary>The phases in which a rollback has ended, for stores that filter on them.</summary>
    public static IReadOnlyList<RollbackPhase> Terminal { get; } = Enum.GetValues<RollbackPhase>().Where(IsTerminal).ToArray();

    /// <summary>What the deploy becomes when its rollback ends in <paramref name="phase"/>.</summary>
    public static Deploys.DeployState DeployStateAfter(this RollbackPhase phase) =>
        phase == RollbackPhase.Succeeded ? Deploys.DeployState.RolledBack : Deploys.DeployState.RollbackFailed;
}
