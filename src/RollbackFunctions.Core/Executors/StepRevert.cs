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

    /// <summary>The step's status after this result: the one mapping from executor outcome to step status.</summary>
    public StepStatus StepStatus => Outcome switch
    {
        RevertOutcome.Reverted => StepStatus.Reverted,
        RevertOutcome.NeedsApproval => StepStatus.AwaitingApproval,
        _ => StepStatus.RevertFailed,
    };
}
