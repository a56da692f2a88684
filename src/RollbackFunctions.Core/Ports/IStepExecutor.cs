using System.Text.Json.Nodes;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Executors;

namespace RollbackFunctions.Core.Ports;

/// <summary>
/// Reverts one kind of deploy step (webhook, Kubernetes rollout, Helm release, ...).
/// Contract: <see cref="RevertAsync"/> is idempotent. Reverting a step already reverted must
/// leave the world as it is and report <see cref="RevertOutcome.Reverted"/>: Durable retries and
/// crash recovery may call it more than once.
/// Three states (SAFETY.md 1): the executor reads its target as a <see cref="TargetState"/> before
/// the deploy (<see cref="StepPreparation.Before"/>), when CI reports the step applied and at revert
/// (<see cref="ObserveAsync"/>); <see cref="ThreeStates"/> decides from them, so the executor's
/// <see cref="RevertAsync"/> runs only when the target still holds what the deploy made, or an
/// operator approved overwriting a drift.
/// </summary>
public interface IStepExecutor
{
    /// <summary>The step kind this executor handles, as written in a registration.</summary>
    string Kind { get; }

    /// <summary>Checks a step's parameters at registration; returns a message or null when valid.</summary>
    string? ValidateParams(JsonObject parameters);

    /// <summary>
    /// Reads what the revert will need from the target, when the deploy is registered and before CI
    /// changes anything. Expected failures are outcomes. Kinds that need nothing keep this default.
    /// </summary>
    Task<StepPreparation> PrepareAsync(StepPrepareRequest request, CancellationToken cancellationToken) =>
        Task.FromResult(StepPreparation.Nothing);

    /// <summary>
    /// Runs the dry run this kind's tool offers for the revert, changing nothing (a server-side dry
    /// run, a revert in a scratch clone). Kinds without one keep this default.
    /// </summary>
    Task<StepRehearsal> RehearseAsync(StepRevertRequest request, CancellationToken cancellationToken) =>
        Task.FromResult(StepRehearsal.NotRehearsable($"{Kind} steps offer no dry run"));

    /// <summary>
    /// When this step's revert may still stop for an operator at run time, judged by effect
    /// (SAFETY.md 3), in words for the plan ("its plan deletes or replaces a resource"); null for
    /// kinds whose revert never asks on its own (drift, which any kind may find, aside).
    /// </summary>
    string? AsksApprovalWhen(JsonObject parameters) => null;

    /// <summary>
    /// Reads what the target holds now, in the form <see cref="StepPreparation.Before"/> has. Kinds
    /// whose target cannot be read keep this default and judge inside their revert (webhook).
    /// </summary>
    Task<TargetObservation> ObserveAsync(StepObserveRequest request, CancellationToken cancellationToken) =>
        Task.FromResult(TargetObservation.NotObservable);

    /// <summary>Reverts the step. Expected failures are outcomes, not exceptions.</summary>
    Task<StepRevertResult> RevertAsync(StepRevertRequest request, CancellationToken cancellationToken);
}
