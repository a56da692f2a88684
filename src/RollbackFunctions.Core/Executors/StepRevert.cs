using System.Text.Json.Nodes;
using RollbackFunctions.Core.Deploys;

namespace RollbackFunctions.Core.Executors;

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

    /// <summary>What the executor captured at registration (<see cref="Deploys.DeployStep.Captured"/>).</summary>
    public JsonObject? Captured { get; init; }

    /// <summary>
    /// How long the executor may wait for the layer to be back (a rollout to finish, helm to
    /// return): the step's deadline, so the wait ends with a precise detail rather than a page.
    /// </summary>
    public TimeSpan WaitLimit { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>The step's revert level in the plan, for its row on the rollback; -1 when not known (older instances).</summary>
    public int Level { get; init; } = -1;
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

    /// <summary>
    /// The change was made but the layer did not come back in time (a rollout that never became
    /// available); waiting longer or retrying will not help.
    /// </summary>
    TimedOut,
}

/// <summary>Result of one revert attempt.</summary>
public sealed record StepRevertResult(RevertOutcome Outcome, string Detail)
{
    public static StepRevertResult Reverted(string detail) => new(RevertOutcome.Reverted, detail);
    public static StepRevertResult Failed(string detail) => new(RevertOutcome.Failed, detail);
    public static StepRevertResult NeedsApproval(string detail) => new(RevertOutcome.NeedsApproval, detail);
    public static StepRevertResult TimedOut(string detail) => new(RevertOutcome.TimedOut, detail);

    /// <summary>The step's status after this result: the one mapping from executor outcome to step status.</summary>
    public StepStatus StepStatus => Outcome switch
    {
        RevertOutcome.Reverted => StepStatus.Reverted,
        RevertOutcome.NeedsApproval => StepStatus.AwaitingApproval,
        RevertOutcome.TimedOut => StepStatus.TimedOut,
        _ => StepStatus.RevertFailed,
    };
}

/// <summary>
/// A revert could not reach its target after the executor's own retries (network, 5xx, 429):
/// thrown, so the Durable retry runs the whole step again; expected failures are outcomes instead.
/// </summary>
public sealed class StepUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
