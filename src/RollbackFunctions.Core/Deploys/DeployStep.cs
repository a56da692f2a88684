using System.Text.Json.Nodes;

namespace RollbackFunctions.Core.Deploys;

/// <summary>One node of a deploy's step graph.</summary>
/// <param name="Id">Unique within the deploy.</param>
/// <param name="Kind">Executor kind, e.g. <c>webhook</c>.</param>
/// <param name="DependsOn">Steps applied before this one; reverts run in the opposite order.</param>
/// <param name="Params">Executor parameters, kept as sent.</param>
/// <param name="RevertMode">How the revert may run.</param>
/// <param name="Status">Current status.</param>
/// <param name="UpdatedAt">When the status last changed.</param>
public sealed record DeployStep(
    string Id,
    string Kind,
    IReadOnlyList<string> DependsOn,
    JsonObject Params,
    RevertMode RevertMode,
    StepStatus Status,
    DateTimeOffset? UpdatedAt)
{
    /// <summary>Attempts of the revert; null for the rollback's default.</summary>
    public int? MaxAttempts { get; init; }

    /// <summary>Deadline of the revert; null for the rollback's default.</summary>
    public TimeSpan? Deadline { get; init; }

    /// <summary>
    /// What the executor read of the target when the deploy was registered, before CI changed it:
    /// the state the revert returns to. Null for kinds that need nothing (webhook).
    /// </summary>
    public JsonObject? Captured { get; init; }

    /// <summary>The target's state before the deploy, read at registration: what a revert restores.</summary>
    public Executors.TargetState? Before { get; init; }

    /// <summary>The state the deploy made, read when CI reported the step applied (or failed).</summary>
    public Executors.TargetState? After { get; init; }

    /// <summary>CI reported the step applied after a rollback halted the deploy: live, whatever the rollback decided.</summary>
    public bool ReportedAfterHalt { get; init; }
}
