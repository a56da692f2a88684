using System.Text.Json.Nodes;
using RollbackFunctions.Core.Deploys;

namespace RollbackFunctions.Core.Planning;

/// <summary>Whether a deploy can be rolled back without a person.</summary>
public enum Readiness
{
    /// <summary>Every step would be reverted automatically.</summary>
    Ready,

    /// <summary>Some steps would wait for an approval or are manual.</summary>
    NeedsHuman,

    /// <summary>A step is irreversible, or its rehearsal found its target cannot be restored.</summary>
    NotReversible,
}

/// <summary>How one step's revert would run.</summary>
public enum PlannedRevert
{
    Automatic,
    Approval,
    Manual,
    Irreversible,
}

/// <summary>One step of the plan.</summary>
/// <param name="StepId">The step.</param>
/// <param name="Kind">Its kind.</param>
/// <param name="Revert">How its revert would run.</param>
/// <param name="Why">The rule behind that: a step setting, a policy rule, a destructive effect.</param>
/// <param name="Restores">What the revert returns to, as a secret-free summary.</param>
/// <param name="Expected">Median seconds a revert of this kind took for this service in past rollbacks, when there were any.</param>
public sealed record PlannedStep(string StepId, string Kind, PlannedRevert Revert, string Why, JsonObject? Restores, double? Expected);

/// <summary>
/// What a rollback of the deploy would do now, answered to CI at registration and on request:
/// the reverse plan level by level, each step's revert and why, and the readiness that sums it up.
/// </summary>
public sealed record RollbackPlan(Readiness Readiness, IReadOnlyList<IReadOnlyList<PlannedStep>> Levels, Rehearsal? Rehearsal)
{
    /// <summary>The sentence behind the readiness: which steps, or which policy, and why.</summary>
    public string Why { get; init; } = "";
}
