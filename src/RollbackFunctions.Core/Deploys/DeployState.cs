namespace RollbackFunctions.Core.Deploys;

/// <summary>Lifecycle of a registered deploy, as CI and the rollback see it.</summary>
public enum DeployState
{
    /// <summary>CI is still applying steps; alerts are matched.</summary>
    Active,

    /// <summary>CI reported completion; alerts are matched until the watch window ends.</summary>
    Baking,

    /// <summary>The watch window passed without trouble; alerts no longer match.</summary>
    Stable,

    /// <summary>A rollback claimed the deploy; the gate refuses further steps.</summary>
    Halted,

    /// <summary>Every applied step that could be reverted automatically was reverted.</summary>
    RolledBack,

    /// <summary>The rollback ended with steps not reverted; a human has work to do.</summary>
    RollbackFailed,
}

/// <summary>Rules over <see cref="DeployState"/>.</summary>
public static class DeployStateRules
{
    /// <summary>Alerts are matched only while the deploy is in flight or baking.</summary>
    public static bool IsLive(this DeployState state) => state is DeployState.Active or DeployState.Baking;

    /// <summary>Once a rollback claimed the deploy, its gate refuses every further step, for good.</summary>
    public static bool ClosesGate(this DeployState state) =>
        state is DeployState.Halted or DeployState.RolledBack or DeployState.RollbackFailed;
}
