using System.Text.Json.Nodes;

namespace RollbackFunctions.Core.Executors;

/// <summary>A step as registered, for its executor to read the target before the deploy changes it.</summary>
public sealed record StepPrepareRequest(string DeployId, string StepId, string Kind, JsonObject Params)
{
    /// <summary>The deploy's version: a target already running it was registered after applying.</summary>
    public string? Version { get; init; }
}

/// <summary>
/// What an executor read of a step's target at registration. <see cref="Captured"/> is stored with
/// the step and handed back to the revert, so the revert returns to the state from before this
/// deploy even if the target changed again since.
/// </summary>
/// <param name="Captured">The state to return to; null when the kind needs nothing.</param>
/// <param name="ManualOnly">The step can never be reverted automatically (an irreversible migration).</param>
/// <param name="Problem">Why the target could not be read; nothing is stored then.</param>
/// <param name="Transient">The problem may go away on a retry (network, 5xx, timeout).</param>
public sealed record StepPreparation(JsonObject? Captured, bool ManualOnly = false, string? Problem = null, bool Transient = false)
{
    /// <summary>The state to return to, as the three-state rule compares it; null for kinds that cannot be read.</summary>
    public TargetState? Before { get; init; }

    /// <summary>The target already runs what the deploy brings: registered after applying, refused (422).</summary>
    public bool AlreadyApplied { get; init; }

    /// <summary>Nothing to capture.</summary>
    public static StepPreparation Nothing { get; } = new(Captured: null);

    public static StepPreparation Failed(string problem, bool transient) => new(Captured: null, ManualOnly: false, Problem: problem, Transient: transient);
}
