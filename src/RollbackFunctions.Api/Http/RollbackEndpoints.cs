using Microsoft.AspNetCore.Http;
using Microsoft.DurableTask.Client;
using RollbackFunctions.Api.Access;
using RollbackFunctions.Api.Rollbacks;
using RollbackFunctions.Core.Audit;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Ports;
using RollbackFunctions.Core.Rollbacks;
using RollbackFunctions.Core.Verification;

namespace RollbackFunctions.Api.Http;

/// <summary>What operators call to start and read rollbacks.</summary>
public sealed class RollbackEndpoints(IDeployStore deploys, IRollbackStore rollbacks, IAuditLog audit, RollbackStarter starter, ApiAccess access, ErrorBudget budget, ScopeGuard scope)
{
    /// <summary>
    /// <c>POST /api/deploys/{deployId}/rollback</c>, optional body <c>{"reason", "actor", "force"}</c>.
    /// 202 when this call started a rollback, 200 with the existing one otherwise, 409 when forcing
    /// while one is still running.
    /// </summary>
    public async Task<IResult> StartAsync(HttpRequest request, string deployId, DurableTaskClient durable, CancellationToken cancellationToken)
    {
        var (caller, manual, refusal) = await OperatorRequest.ReadAsync<ManualRollbackRequest>(request, access, cancellationToken);
        if (refusal is not null)
        {
            return refusal;
        }

        if (!Identifiers.IsValid(deployId) || await deploys.GetAsync(deployId, cancellationToken) is null)
        {
            return Problems.NotFound($"no deploy {deployId}");
        }

        if (await scope.RefuseDeployAsync(caller!, deployId, cancellationToken) is { } outOfScope)
        {
            return outOfScope;
        }

        var trigger = new RollbackTrigger(TriggerKinds.Manual, OperatorRequest.ActorOf(request, caller!, manual!.Actor), manual.Reason ?? "started by hand", []);
        var start = await starter.StartAsync(durable, deployId, trigger, cancellationToken, manual.Force);
        if (start.Refusal is not null)
        {
            return Problems.Conflict(start.Refusal);
        }

        return Results.Json(start, ApiJson.Replies, statusCode: start.Started ? StatusCodes.Status202Accepted : StatusCodes.Status200OK);
    }

    /// <summary><c>GET /api/rollbacks/{rollbackId}</c>.</summary>
    public async Task<IResult> GetAsync(HttpRequest request, string rollbackId, CancellationToken cancellationToken)
    {
        var (caller, refusal) = access.Authorize(request, ApiRole.Reader);
        if (refusal is not null)
        {
            return refusal;
        }

        if (await scope.RefuseRollbackAsync(caller!, rollbackId, cancellationToken) is { } outOfScope)
        {
            return outOfScope;
        }

        if (await FindAsync(rollbackId, cancellationToken) is not { } head)
        {
            return Problems.NotFound($"no rollback {rollbackId}");
        }

        var steps = await rollbacks.GetStepsAsync(rollbackId, cancellationToken);
        var samples = await rollbacks.GetSamplesAsync(rollbackId, cancellationToken);
        return Results.Json(RollbackView.Of(head, steps, samples), ApiJson.Replies);
    }

    /// <summary><c>GET /api/rollbacks?state=active|all</c> (default active).</summary>
    public async Task<IResult> ListAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var (caller, refusal) = access.Authorize(request, ApiRole.Reader);
        if (refusal is not null)
        {
            return refusal;
        }

        var state = request.Query["state"].ToString();
        if (state is not ("" or "active" or "all"))
        {
            return Problems.BadRequest("state must be 'active' or 'all'");
        }

        var heads = await rollbacks.ListAsync(activeOnly: state != "all", cancellationToken);
        var shown = new List<RollbackListItem>();
        foreach (var head in heads)
        {
            if (await scope.PermitsAsync(caller!, head.DeployId, cancellationToken))
            {
                shown.Add(RollbackListItem.Of(head));
            }
        }

        return Results.Json(shown, ApiJson.Replies);
    }

    /// <summary><c>GET /api/rollbacks/{rollbackId}/audit</c>: the rows and whether their hash chain verifies.</summary>
    public async Task<IResult> AuditAsync(HttpRequest request, string rollbackId, CancellationToken cancellationToken)
    {
        var (caller, refusal) = access.Authorize(request, ApiRole.Reader);
        if (refusal is not null)
        {
            return refusal;
        }

        if (await scope.RefuseRollbackAsync(caller!, rollbackId, cancellationToken) is { } outOfScope)
        {
            return outOfScope;
        }

        if (await FindAsync(rollbackId, cancellationToken) is null)
        {
            return Problems.NotFound($"no rollback {rollbackId}");
        }

        var trail = await audit.ReadAsync(rollbackId, cancellationToken);
        // The rollback's head is the anchor: every rollback's chain holds its claim, so a chain without
        // one lost its start (a deleted partition that later appends began again from nothing).
        var (verified, problem) = !trail.Rows.Any(r => r.Action == AuditActions.RollbackClaimed)
            ? (false, "the rollback exists but its claim is not in its audit chain: rows were removed")
            : (trail.Verified, trail.Problem);
        return Results.Json(new AuditReply(rollbackId, verified, problem, trail.Keyed, trail.Rows), ApiJson.Replies);
    }

    /// <summary><c>GET /api/rollbacks/{rollbackId}/report</c>: the Markdown incident report.</summary>
    public async Task<IResult> ReportAsync(HttpRequest request, string rollbackId, CancellationToken cancellationToken)
    {
        var (caller, refusal) = access.Authorize(request, ApiRole.Reader);
        if (refusal is not null)
        {
            return refusal;
        }

        if (await scope.RefuseRollbackAsync(caller!, rollbackId, cancellationToken) is { } outOfScope)
        {
            return outOfScope;
        }

        if (await FindAsync(rollbackId, cancellationToken) is not { } head)
        {
            return Problems.NotFound($"no rollback {rollbackId}");
        }

        var deploy = await deploys.GetAsync(head.DeployId, cancellationToken);
        var report = RollbackReport.Of(
            deploy,
            head,
            await rollbacks.GetStepsAsync(rollbackId, cancellationToken),
            await rollbacks.GetSamplesAsync(rollbackId, cancellationToken),
            await audit.ReadAsync(rollbackId, cancellationToken),
            await budget.OfIncidentAsync(deploy, head, cancellationToken));
        return Results.Text(report, "text/markdown; charset=utf-8");
    }

    private async Task<RollbackRecord?> FindAsync(string rollbackId, CancellationToken cancellationToken) =>
        Identifiers.IsValidRollbackId(rollbackId) ? await rollbacks.GetAsync(rollbackId, cancellationToken) : null;
}

/// <summary>Body of a manual rollback request.</summary>
public sealed record ManualRollbackRequest
{
    public string? Reason { get; init; }
    public string? Actor { get; init; }

    /// <summary>Start another rollback although this deploy had one (recorded as forced).</summary>
    public bool Force { get; init; }
}
