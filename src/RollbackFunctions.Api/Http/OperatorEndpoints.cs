using Microsoft.AspNetCore.Http;
using Microsoft.DurableTask.Client;
using RollbackFunctions.Api.Access;
using RollbackFunctions.Api.Rollbacks;
using RollbackFunctions.Core.Audit;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Orchestration;
using RollbackFunctions.Core.Ports;
using RollbackFunctions.Core.Rollbacks;

namespace RollbackFunctions.Api.Http;

/// <summary>On-call's levers on a running rollback: approve or reject a waiting step, abort.</summary>
public sealed class OperatorEndpoints(IRollbackStore rollbacks, IDeployStore deploys, IGitOpsControllers gitOps, IAuditLog audit, ApiAccess access, ScopeGuard scope, ApprovalDecisions decisions)
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

        var outcome = await decisions.DecideAsync(durable, rollbackId, stepId, approve, OperatorRequest.ActorOf(request, caller!, body!.Actor), body.Reason, body.PlanDigest, cancellationToken);
        return Reply(outcome) ?? Results.Json(outcome.Reply, ApiJson.Replies, statusCode: StatusCodes.Status202Accepted);
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

        if (Reply(await decisions.RefuseUnlessRunningAsync(rollbackId, cancellationToken)) is { } notRunning)
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

    /// <summary>A refused decision as its problem reply; null when it was sent.</summary>
    private static IResult? Reply(DecisionOutcome? outcome) => outcome?.Refusal switch
    {
        null => null,
        StatusCodes.Status404NotFound => Problems.NotFound(outcome.Detail!),
        _ => Problems.Conflict(outcome.Detail!),
    };
}

/// <summary>Optional body of an operator action.</summary>
public sealed record OperatorAction
{
    public string? Actor { get; init; }
    public string? Reason { get; init; }

    /// <summary>With an approve: the SHA-256 of the plan or effect the step shows (its <c>planDigest</c>).</summary>
    public string? PlanDigest { get; init; }
}

/// <summary>Reply to an abort: the rollback stops before its next step.</summary>
public sealed record AbortReply(string RollbackId, bool Aborting, string Actor);

/// <summary>Reply to a GitOps resume: each held object and whether it syncs again.</summary>
public sealed record GitOpsResumeReply(string RollbackId, IReadOnlyList<GitOpsResumed> Resumed, string Actor);

/// <summary>One GitOps object an operator resumed.</summary>
public sealed record GitOpsResumed(string Target, bool Done, string Detail);
