using System.Text.Json.Nodes;

namespace RollbackFunctions.Core.Executors;

/// <summary>
/// Reverts one kind of deploy step (webhook, Kubernetes rollout, Helm release, ...).
/// Contract: <see cref="RevertAsync"/> is idempotent. Reverting a step already reverted must
/// leave the world as it is and report <see cref="RevertOutcome.Reverted"/>: Durable retries and
/// crash recovery may call it more than once.
/// </summary>
public interface IStepExecutor
{
    /// <summary>The step kind this executor handles, as written in a registration.</summary>
    string Kind { get; }

    /// <summary>Checks a step's parameters at registration; returns a message or null when valid.</summary>
    string? ValidateParams(JsonObject parameters);

    /// <summary>Reverts the step. Expected failures are outcomes, not exceptions.</summary>
    Task<StepRevertResult> RevertAsync(StepRevertRequest request, CancellationToken cancellationToken);
}

/// <summary>What an executor needs to revert one step.</summary>
public sealed record StepRevertRequest(
    string RollbackId,
    string DeployId,
    string StepId,
    string Kind,
    JsonObject Params,
    string Version,
    string? PreviousVersion)
{
    /// <summary>An operator approved this revert; an executor may then run what it calls destructive.</summary>
    public bool Approved { get; init; }
}

/// <summary>How a revert ended.</summary>
public enum RevertOutcome
{
    /// <summary>The step is back at its previous state.</summary>
    Reverted,

    /// <summary>The revert did not happen; <see cref="StepRevertResult.Detail"/> says why.</summary>
    Failed,

    /// <summary>
    /// The executor found the revert destructive (a Terraform destroy, a DROP) and did nothing;
    /// it runs only once an operator approves.
    /// </summary>
    NeedsApproval,
}

/// <summary>Result of one revert attempt.</summary>
public sealed record StepRevertResult(RevertOutcome Outcome, string Detail)
{
    public static StepRevertResult Reverted(string detail) => new(RevertOutcome.Reverted, detail);
    public static StepRevertResult Failed(string detail) => new(RevertOutcome.Failed, detail);
    public static StepRevertResult NeedsApproval(string detail) => new(RevertOutcome.NeedsApproval, detail);
}
