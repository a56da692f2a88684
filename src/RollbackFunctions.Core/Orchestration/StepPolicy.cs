using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Planning;
using RollbackFunctions.Core.Policy;

namespace RollbackFunctions.Core.Orchestration;

/// <summary>What the rollback does with one step before calling its executor.</summary>
public enum StepAction
{
    /// <summary>Call the executor.</summary>
    Revert,

    /// <summary>Ask an operator first; revert only if approved.</summary>
    AskApproval,

    /// <summary>Do not touch it; the status and detail say why.</summary>
    Leave,
}

/// <summary>The decision on one step: the action, and for <see cref="StepAction.Leave"/> the status it ends in.</summary>
public sealed record StepDecision(StepAction Action, StepStatus? Status, string Detail)
{
    public static StepDecision Revert { get; } = new(StepAction.Revert, null, "");

    public static StepDecision Leave(StepStatus status, string detail) => new(StepAction.Leave, status, detail);
}

/// <summary>
/// The per-step rules of a rollback, as pure code: whether a step runs, waits for an operator or is
/// left alone, and what an executor's answer means for it. The orchestration coordinates; this decides.
/// </summary>
public static class StepPolicy
{
    /// <summary>
    /// Decides about <paramref name="step"/> given what was decided for the steps reverted before it.
    /// In order: an abort cancels; a dependent left unreverted blocks (reverting under an unreverted
    /// top layer is how "old code on new schema" incidents happen); manual steps are work for a human;
    /// approval-mode steps, and steps the policy wants approved, wait for an operator.
    /// </summary>
    /// <param name="step">The step to decide about.</param>
    /// <param name="graph">The deploy's step graph.</param>
    /// <param name="decided">Final statuses of the steps handled so far (its dependents among them).</param>
    /// <param name="abortedBy">The operator who aborted the rollback, or null.</param>
    /// <param name="approvals">What the policy wants approved in this rollback.</param>
    /// <param name="unheldClusters">Clusters whose GitOps hold failed, with why: their steps are not reverted.</param>
    public static StepDecision Before(DeployStep step, StepGraph graph, IReadOnlyDictionary<string, StepStatus> decided, string? abortedBy, RollbackApprovals approvals, IReadOnlyDictionary<string, string>? unheldClusters = null)
    {
        if (abortedBy is not null)
        {
            return StepDecision.Leave(StepStatus.Cancelled, $"rollback aborted by {abortedBy} before this step ran");
        }

        // Through every path: a never-applied step in between must not hide a failure above it.
        var blocker = graph.AllDependentsOf(step.Id).Order(StringComparer.Ordinal).FirstOrDefault(d => decided.TryGetValue(d, out var s) && s.LeftUnreverted());
        if (blocker is not null)
        {
            return StepDecision.Leave(StepStatus.Blocked, $"not reverted because {blocker} was not ({decided[blocker]})");
        }

        // The controller would sync the change back within minutes: reverting under it is wasted work.
        // The cluster as named, or as the executor resolved it at registration (the only one configured).
        if ((step.Params["cluster"] ?? step.Captured?["cluster"]) is System.Text.Json.Nodes.JsonValue cluster && cluster.TryGetValue<string>(out var name)
            && unheldClusters?.GetValueOrDefault(name) is { } holdFailure)
        {
            return StepDecision.Leave(StepStatus.Blocked, $"not reverted: the GitOps hold on cluster {name} failed ({holdFailure}); an active controller would undo the revert");
        }

        return RevertGate.Of(step, approvals) switch
        {
            (RevertGateKind.Manual, var why) => StepDecision.Leave(StepStatus.Manual, why),
            (RevertGateKind.Approval, var why) => new StepDecision(StepAction.AskApproval, StepStatus.AwaitingApproval, why),
            _ => StepDecision.Revert,
        };
    }

    /// <summary>
    /// The step's final status after its executor answered. An executor that still asks for approval
    /// after an operator approved is a failed revert, never a loop.
    /// </summary>
    public static StepStatus After(StepStatus executorStatus, bool approved) =>
        executorStatus == StepStatus.AwaitingApproval && approved ? StepStatus.RevertFailed : executorStatus;
}
