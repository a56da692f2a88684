using Microsoft.DurableTask.Client;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Orchestration;
using RollbackFunctions.Core.Ports;
using RollbackFunctions.Core.Rollbacks;

namespace RollbackFunctions.Api.Rollbacks;

/// <summary>
/// The one home of an operator's approve or reject of a waiting step, whoever asks: the HTTP route
/// (a key with the operator role) and a Slack button (a listed Slack user) both decide here, so the
/// rules (still running, still waiting, inside its window, the plan that was shown) cannot differ.
/// </summary>
public sealed class ApprovalDecisions(IRollbackStore rollbacks, TimeProvider clock)
{
    /// <summary>
    /// Sends the decision to the rollback, or says why not. <paramref name="actor"/> is who decided, as
    /// audited; <paramref name="planDigest"/> is the plan an approval binds to (SAFETY.md 3).
    /// </summary>
    public async Task<DecisionOutcome> DecideAsync(DurableTaskClient durable, string rollbackId, string stepId, bool approve, string actor, string? reason, string? planDigest, CancellationToken cancellationToken)
    {
        if (await RefuseUnlessRunningAsync(rollbackId, cancellationToken) is { } notRunning)
        {
            return notRunning;
        }

        var step = Identifiers.IsValid(stepId) ? await rollbacks.GetStepAsync(rollbackId, stepId, cancellationToken) : null;
        if (step is null)
        {
            return DecisionOutcome.NotFound($"rollback {rollbackId} has no step {stepId}");
        }

        if (step.Status != StepStatus.AwaitingApproval)
        {
            return DecisionOutcome.Conflict($"step {stepId} is {step.Status}, not waiting for approval");
        }

        // The timer may have fired before the row says so: past the window the decision would be ignored.
        if (step.ApprovalDue <= clock.GetUtcNow())
        {
            return DecisionOutcome.Conflict($"the approval window of step {stepId} closed at {step.ApprovalDue:O}; it escalates as not approved. Force a new rollback to revert it");
        }

        // An approval binds to the plan or effect the step showed (SAFETY.md 3): naming another one,
        // or none, approves something nobody was shown.
        if (approve && step.PlanDigest is { } shown && !string.Equals(planDigest?.Trim(), shown, StringComparison.OrdinalIgnoreCase))
        {
            return DecisionOutcome.Conflict(planDigest is null
                ? $"step {stepId} waits for approval of the plan with sha256 {shown}: send it as planDigest"
                : $"planDigest {planDigest} is not the plan step {stepId} waits for (sha256 {shown}): read the step again and approve what it shows");
        }

        var decision = new OperatorDecision(approve, actor, reason ?? (approve ? "approved" : "rejected"), approve ? step.PlanDigest : null);
        await durable.RaiseEventAsync(rollbackId, RollbackEvents.Approval(stepId), decision, cancellationToken);
        return new DecisionOutcome(new DecisionReply(rollbackId, stepId, approve ? "approved" : "rejected", actor), null, null);
    }

    /// <summary>A 404 for no such rollback, a 409 for one that already ended; null while it runs.</summary>
    public async Task<DecisionOutcome?> RefuseUnlessRunningAsync(string rollbackId, CancellationToken cancellationToken)
    {
        var head = Identifiers.IsValidRollbackId(rollbackId) ? await rollbacks.GetAsync(rollbackId, cancellationToken) : null;
        return head is null ? DecisionOutcome.NotFound($"no rollback {rollbackId}")
            : head.Phase.IsTerminal() ? DecisionOutcome.Conflict($"rollback {rollbackId} already ended ({head.Phase})")
            : null;
    }
}

/// <summary>Reply to an approval or a rejection: the decision is on its way to the rollback.</summary>
public sealed record DecisionReply(string RollbackId, string StepId, string Decision, string Actor);

/// <summary>Either the decision sent (<see cref="Reply"/>) or why it was not: <see cref="Refusal"/> is 404 or 409, with <see cref="Detail"/>.</summary>
public sealed record DecisionOutcome(DecisionReply? Reply, int? Refusal, string? Detail)
{
    public static DecisionOutcome NotFound(string detail) => new(null, 404, detail);

    public static DecisionOutcome Conflict(string detail) => new(null, 409, detail);
}
