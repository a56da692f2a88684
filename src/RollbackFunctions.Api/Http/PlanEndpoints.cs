using Microsoft.AspNetCore.Http;
using RollbackFunctions.Api.Access;
using RollbackFunctions.Api.Rollbacks;
using RollbackFunctions.Core.Audit;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Planning;
using RollbackFunctions.Core.Ports;

namespace RollbackFunctions.Api.Http;

/// <summary>Know before it breaks: a deploy's rollback plan, its rehearsal, and an operator's waiver of the readiness gate.</summary>
public sealed class PlanEndpoints(IDeployStore deploys, RollbackPlans plans, Rehearser rehearser, IAuditLog audit, ApiAccess access, ScopeGuard scope, TimeProvider clock)
{
    /// <summary><c>GET /api/deploys/{deployId}/plan</c> (reader; a pipeline gets the plan in its registration and rehearsal replies).</summary>
    public async Task<IResult> GetAsync(HttpRequest request, string deployId, CancellationToken cancellationToken)
    {
        var (caller, refusal) = access.Authorize(request, ApiRole.Reader);
        if (refusal is not null || await scope.RefuseDeployAsync(caller!, deployId, cancellationToken) is { } outOfScope && (refusal = outOfScope) is not null)
        {
            return refusal;
        }

        return await FindAsync(deployId, cancellationToken) is { } deploy
            ? Results.Json(await plans.PlanAsync(deploy, cancellationToken), ApiJson.Replies)
            : Problems.NotFound($"no deploy {deployId}");
    }

    /// <summary><c>POST /api/deploys/{deployId}/rehearse</c> (ci or operator): every step's dry run, stored on the deploy; answers the plan.</summary>
    public async Task<IResult> RehearseAsync(HttpRequest request, string deployId, CancellationToken cancellationToken)
    {
        var (caller, refusal) = AuthorizeEither(request, ApiRole.Ci, ApiRole.Operator);
        if (refusal is not null || await scope.RefuseDeployAsync(caller!, deployId, cancellationToken) is { } outOfScope && (refusal = outOfScope) is not null)
        {
            return refusal;
        }

        if (await FindAsync(deployId, cancellationToken) is not { } deploy)
        {
            return Problems.NotFound($"no deploy {deployId}");
        }

        if (deploy.RollbackId is not null)
        {
            return Problems.Conflict($"deploy {deployId} was halted by rollback {deploy.RollbackId}: there is nothing left to rehearse");
        }

        var rehearsed = await rehearser.RehearseAsync(deploy, caller!.ActorFor(null, RollbackActors.Ci), cancellationToken);
        return Results.Json(await plans.PlanAsync(rehearsed, cancellationToken), ApiJson.Replies);
    }

    /// <summary><c>POST /api/deploys/{deployId}/waive</c> (operator) with a reason: the readiness gate opens for this deploy.</summary>
    public async Task<IResult> WaiveAsync(HttpRequest request, string deployId, CancellationToken cancellationToken)
    {
        var (caller, body, refusal) = await OperatorRequest.ReadAsync<OperatorAction>(request, access, cancellationToken);
        if (refusal is not null || await scope.RefuseDeployAsync(caller!, deployId, cancellationToken) is { } outOfScope && (refusal = outOfScope) is not null)
        {
            return refusal;
        }

        if (string.IsNullOrWhiteSpace(body!.Reason))
        {
            return Problems.BadRequest("a waiver needs a reason", new Dictionary<string, string[]> { ["reason"] = ["required"] });
        }

        if (await FindAsync(deployId, cancellationToken) is null)
        {
            return Problems.NotFound($"no deploy {deployId}");
        }

        var actor = OperatorRequest.ActorOf(request, caller!, body.Actor);
        var waiver = new ReadinessWaiver(actor, body.Reason, clock.GetUtcNow());
        var stored = await deploys.UpdateAsync(deployId, d => d.Waiver is null ? d with { Waiver = waiver } : null, cancellationToken);
        if (stored!.Waiver == waiver)
        {
            await audit.AppendAsync(new AuditEntry(Identifiers.RollbackIdFor(deployId), actor, AuditActions.ReadinessWaived, new { deployId }, "waived", body.Reason), cancellationToken);
        }

        return Results.Json(await plans.PlanAsync(stored, cancellationToken), ApiJson.Replies);
    }

    /// <summary>A route two roles may use: the first that the key holds; otherwise the second's 401 or 403.</summary>
    private (Caller? Caller, IResult? Refusal) AuthorizeEither(HttpRequest request, ApiRole first, ApiRole second) =>
        access.Authorize(request, first) is { Refusal: null } allowed ? allowed : access.Authorize(request, second);

    private async Task<DeployRecord?> FindAsync(string deployId, CancellationToken cancellationToken) =>
        Identifiers.IsValid(deployId) ? await deploys.GetAsync(deployId, cancellationToken) : null;
}
