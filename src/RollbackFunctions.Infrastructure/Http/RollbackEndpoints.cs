using Microsoft.AspNetCore.Http;
using Microsoft.DurableTask.Client;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Ports;
using RollbackFunctions.Core.Rollbacks;
using RollbackFunctions.Infrastructure.Rollbacks;

namespace RollbackFunctions.Infrastructure.Http;

/// <summary>What operators call: start a rollback by hand, read a rollback's status.</summary>
public sealed class RollbackEndpoints(IDeployStore deploys, IRollbackStore rollbacks, RollbackStarter starter)
{
    /// <summary>
    /// <c>POST /api/deploys/{deployId}/rollback</c>, optional body <c>{"reason", "actor"}</c>.
    /// 202 when this call started the rollback, 200 with the existing one otherwise.
    /// </summary>
    public async Task<IResult> StartAsync(HttpRequest request, string deployId, DurableTaskClient durable, CancellationToken cancellationToken)
    {
        var (document, problem) = await JsonBody.ReadAsync(request, cancellationToken, optional: true);
        using var _ = document;
        if (problem is not null)
        {
            return problem;
        }

        var manual = new ManualRollbackRequest();
        if (document is not null)
        {
            var (bound, bindProblem) = JsonBody.Bind<ManualRollbackRequest>(document);
            if (bindProblem is not null)
            {
                return bindProblem;
            }

            manual = bound!;
        }

        if (!Identifiers.IsValid(deployId) || await deploys.GetAsync(deployId, cancellationToken) is null)
        {
            return Problems.NotFound($"no deploy {deployId}");
        }

        var actor = string.IsNullOrWhiteSpace(manual.Actor) ? "operator" : manual.Actor;
        var trigger = new RollbackTrigger("manual", actor, manual.Reason ?? "started by hand", []);
        var start = await starter.StartAsync(durable, deployId, trigger, cancellationToken);
        return Results.Json(start, ApiJson.Replies, statusCode: start.Started ? StatusCodes.Status202Accepted : StatusCodes.Status200OK);
    }

    /// <summary><c>GET /api/rollbacks/{rollbackId}</c>.</summary>
    public async Task<IResult> GetAsync(string rollbackId, CancellationToken cancellationToken)
    {
        if (rollbackId.Length > 200 || await rollbacks.GetAsync(rollbackId, cancellationToken) is not { } head)
        {
            return Problems.NotFound($"no rollback {rollbackId}");
        }

        var steps = await rollbacks.GetStepsAsync(rollbackId, cancellationToken);
        return Results.Json(RollbackView.Of(head, steps), ApiJson.Replies);
    }
}

/// <summary>Body of a manual rollback request.</summary>
public sealed record ManualRollbackRequest
{
    public string? Reason { get; init; }
    public string? Actor { get; init; }
}
