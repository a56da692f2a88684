using Microsoft.AspNetCore.Http;
using Microsoft.DurableTask.Client;
using RollbackFunctions.Api.Access;
using RollbackFunctions.Core.Audit;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Orchestration;
using RollbackFunctions.Core.Ports;
using RollbackFunctions.Core.Rollbacks;

namespace RollbackFunctions.Api.Http;

/// <summary>On-call's levers on a running rollback: approve or reject a waiting step, abort.</summary>
public sealed class OperatorEndpoints(IRollbackStore rollbacks, IDeployStore deploys, IGitOpsControllers gitOps, IAuditLog audit, ApiAccess access, ScopeGuard scope, TimeProvider clock)
{
    /// <summary>
    /// <c>POST /api/rollbacks/{rollbackId}/steps/{stepId}/approve</c> or <c>/reject</c>, optional body
    /// <c>{"actor", "reason", "planDigest"}</c>; approving a step that shows a plan needs its digest.
    /// </summary>
    public async Task<IResult> DecideAsync(HttpRequest request, string rollbackId, string stepId, bool approve, DurableTaskClient durable, CancellationToken cancellationToken)
    {
        var (caller, body, refusal) = await OperatorRequest.ReadAsync<OperatorAction>(request, access, cancellationToken);
        if (refusal is not null)
        {
            return refusal;
        }

        if (await scope.RefuseRollbackAsync(caller!, rollbackId, cancellationToken) is { } outOfScope)
        {
            return outOfScope;
        }

        if (await RunningAsync(rollbackId, cancellationToken) is { } notRunning)
        {
            return notRunning;
        }

        var step = Identifiers.IsValid(stepId) ? await rollbacks.GetStepAsync(rollbackId, stepId, cancellationToken) : null;
        if (step is null)
        {
            return Problems.NotFound($"rollback {rollbackId} has no step {stepId}");
        }

        if (step.Status != StepStatus.AwaitingApproval)
        {
            return Problems.Conflict($"step {stepId} is {step.Status}, not waiting for approval");
        }

        // The timer may have fired before the row says so: past the window the decision would be ignored.
        if (step.ApprovalDue <= clock.GetUtcNow())
        {
            return Problems.Conflict($"the approval window of step {stepId} closed at {step.ApprovalDue:O}; it escalates as not approved. Force a new rollback to revert it");
        }

        // An approval binds to the plan or effect the step showed (SAFETY.md 3): naming another one,
        // or none, approves something nobody was shown.
        if (approve && step.PlanDigest is { } shown && !string.Equals(body!.PlanDigest?.Trim(), shown, StringComparison.OrdinalIgnoreCase))
        {
            return Problems.Conflict(body.PlanDigest is null
                ? $"step {stepId} waits for approval of the plan with sha256 {shown}: send it as planDigest"
                : $"planDigest {body.PlanDigest} is not the plan step {stepId} waits for (sha256 {shown}): read the step again and approve what it shows");
        }

        var decision = new OperatorDecision(approve, OperatorRequest.ActorOf(request, caller!, body!.Actor), body.Reason ?? (approve ? "approved" : "rejected"), approve ? step.PlanDigest : null);
        await durable.RaiseEventAsync(rollbackId, RollbackEvents.Approval(stepId), decision, cancellationToken);
        return Results.Json(new DecisionReply(rollbackId, stepId, approve ? "approved" : "rejected", decision.Actor), ApiJson.Replies, statusCode: StatusCodes.Status202Accepted);
    }

    /// <summary><c>POST /api/rollbacks/{rollbackId}/abort</c>: no further reverts; reverts already running finish.</summary>
    public async Task<IResult> AbortAsync(HttpRequest request, string rollbackId, DurableTaskClient durable, CancellationToken cancellationToken)
    {
        var (caller, body, refusal) = await OperatorRequest.ReadAsync<OperatorAction>(request, access, cancellationToken);
        if (refusal is not null)
        {
            return refusal;
        }

        if (await scope.RefuseRollbackAsync(caller!, rollbackId, cancellationToken) is { } outOfScope)
        {
            return outOfScope;
        }

        if (await RunningAsync(rollbackId, cancellationToken) is { } notRunning)
        {
            return notRunning;
        }

        var decision = new OperatorDecision(false, OperatorRequest.ActorOf(request, caller!, body!.Actor), body.Reason ?? "aborted by an operator");
        await durable.RaiseEventAsync(rollbackId, RollbackEvents.Abort, decision, cancellationToken);
        return Results.Json(new AbortReply(rollbackId, Aborting: true, decision.Actor), ApiJson.Replies, statusCode: StatusCodes.Status202Accepted);
    }

    /// <summary>
    /// <c>POST /api/rollbacks/{rollbackId}/gitops/resume</c>: restores the sync policy (Argo CD) or
    /// un-suspends (Flux) every GitOps object the rollback held, exactly as it was before; objects it
    /// did not hold are left alone. Any phase: resuming is what on-call does after the fix.
    /// </summary>
    public async Task<IResult> ResumeGitOpsAsync(HttpRequest request, string rollbackId, CancellationToken cancellationToken)
    {
        var (caller, body, refusal) = await OperatorRequest.ReadAsync<OperatorAction>(request, access, cancellationToken);
        if (refusal is not null)
        {
            return refusal;
        }

        if (await scope.RefuseRollbackAsync(caller!, rollbackId, cancellationToken) is { } outOfScope)
        {
            return outOfScope;
        }

        var head = Identifiers.IsValidRollbackId(rollbackId) ? await rollbacks.GetAsync(rollbackId, cancellationToken) : null;
        if (head is null || await deploys.GetAsync(head.DeployId, cancellationToken) is not { } deploy)
        {
            return Problems.NotFound($"no rollback {rollbackId}");
        }

        if (deploy.GitOps.Count == 0)
        {
            return Problems.Conflict($"deploy {deploy.DeployId} names no GitOps objects: nothing was held");
        }

        var actor = OperatorRequest.ActorOf(request, caller!, body!.Actor);
        var outcomes = new List<GitOpsOutcome>();
        foreach (var target in deploy.GitOps)
        {
            var outcome = await gitOps.ResumeAsync(target, rollbackId, cancellationToken);
            await audit.AppendAsync(new AuditEntry(rollbackId, actor, AuditActions.GitOpsResumed, target, outcome.Done ? "resumed" : "failed", $"{target}: {outcome.Detail}"), cancellationToken);
            outcomes.Add(outcome);
        }

        return Results.Json(new GitOpsResumeReply(rollbackId, outcomes.Select(o => new GitOpsResumed(o.Target.ToString(), o.Done, o.Detail)).ToList(), actor), ApiJson.Replies);
    }

    private async Task<IResult?> RunningAsync(string rollbackId, CancellationToken cancellationToken)
    {
        var head = Identifiers.IsValidRollbackId(rollbackId) ? await rollbacks.GetAsync(rollbackId, cancellationToken) : null;
        return head is null ? Problems.NotFound($"no rollback {rollbackId}")
            : head.Phase.IsTerminal() ? Problems.Conflict($"rollback {rollbackId} already ended ({head.Phase})")
            : null;
    }
}

/// <summary>Optional body of an operator action.</summary>
public sealed record OperatorAction
{
    public string? Actor { get; init; }
    public string? Reason { get; init; }

    /// <summary>With an approve: the SHA-256 of the plan or effect the step shows (its <c>planDigest</c>).</summary>
    public string? PlanDigest { get; init; }
}

/// <summary>Reply to an approval or a rejection: the decision is on its way to the rollback.</summary>
public sealed record DecisionReply(string RollbackId, string StepId, string Decision, string Actor);

/// <summary>Reply to an abort: the rollback stops before its next step.</summary>
public sealed record AbortReply(string RollbackId, bool Aborting, string Actor);

/// <summary>Reply to a GitOps resume: each held object and whether it syncs again.</summary>
public sealed record GitOpsResumeReply(string RollbackId, IReadOnlyList<GitOpsResumed> Resumed, string Actor);

/// <summary>One GitOps object an operator resumed.</summary>
public sealed record GitOpsResumed(string Target, bool Done, string Detail);
