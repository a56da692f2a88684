using RollbackFunctions.Api.Access;
using RollbackFunctions.Api.Rollbacks;
using RollbackFunctions.Core.Watching;
using Microsoft.DurableTask.Client;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using RollbackFunctions.Core.Audit;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Executors;
using RollbackFunctions.Core.Notifications;
using RollbackFunctions.Core.Ports;

namespace RollbackFunctions.Api.Http;

/// <summary>What CI calls: register a deploy, report steps, complete it, ask the gate.</summary>
public sealed class DeployEndpoints(
    IDeployStore deploys,
    RegistrationValidator validator,
    StepCapture capture,
    CheckTemplates templates,
    WatcherStarter watchers,
    ApiAccess access,
    IPager pager, IAuditLog audit, TimeProvider clock, ILogger<DeployEndpoints> logger)
{
    /// <summary><c>POST /api/deploys</c>: 201 created, 200 same body again, 409 same id with another body.</summary>
    public async Task<IResult> RegisterAsync(HttpRequest request, DurableTaskClient durable, CancellationToken cancellationToken)
    {
        var (_, refusal) = access.Authorize(request, ApiRole.Ci);
        if (refusal is not null)
        {
            return refusal;
        }

        var (registration, problem) = await JsonBody.ReadAsync<DeployRegistration>(request, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var errors = validator.Validate(registration!);
        if (errors.Count > 0)
        {
            return Problems.BadRequest("the deploy registration has problems; nothing was stored", errors.ToDictionary());
        }

        var record = templates.Expand(registration!.ToRecord(clock.GetUtcNow(), Convert.ToHexString(SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(registration, ApiJson.Strict)))));
        if (await deploys.GetAsync(record.DeployId, cancellationToken) is { } existing)
        {
            // A re-send never reads the targets again: by now CI may have changed them. It does
            // start the watcher if a crash lost it.
            if (existing.RegistrationDigest == record.RegistrationDigest)
            {
                await watchers.EnsureWatchingAsync(durable, existing, clock.GetUtcNow(), cancellationToken);
            }

            return SameRegistration(existing, record);
        }

        var (captured, failure) = await capture.CaptureAsync(record, cancellationToken);
        if (failure is not null)
        {
            return Problems.CaptureFailed(failure.Problems, failure.Transient);
        }

        var (stored, created) = await deploys.AddAsync(captured!, cancellationToken);
        var view = DeployView.Of(stored, clock.GetUtcNow());
        if (created)
        {
            ApiLog.DeployRegistered(logger, stored.DeployId, stored.Service, stored.Version, stored.Environment, stored.Steps.Count);
            await watchers.EnsureWatchingAsync(durable, stored, clock.GetUtcNow(), cancellationToken);
            await AnnounceAsync(stored);
            return Results.Json(view, ApiJson.Replies, statusCode: StatusCodes.Status201Created);
        }

        return SameRegistration(stored, record);
    }

    /// <summary>The same id again: 200 with the stored deploy for the same body, 409 for another.</summary>
    private IResult SameRegistration(DeployRecord stored, DeployRecord sent) =>
        stored.RegistrationDigest == sent.RegistrationDigest
            ? Results.Json(DeployView.Of(stored, clock.GetUtcNow()), ApiJson.Replies)
            : Problems.Conflict($"deploy {stored.DeployId} is already registered with a different body");

    /// <summary><c>GET /api/deploys/{deployId}</c>.</summary>
    public async Task<IResult> GetAsync(HttpRequest request, string deployId, CancellationToken cancellationToken)
    {
        var (_, refusal) = access.Authorize(request, ApiRole.Reader);
        if (refusal is not null)
        {
            return refusal;
        }

        return await FindAsync(deployId, cancellationToken) is { } deploy
            ? Results.Json(DeployView.Of(deploy, clock.GetUtcNow()), ApiJson.Replies)
            : Problems.NotFound($"no deploy {deployId}");
    }

    /// <summary>How far back <c>GET /api/deploys</c> looks, and how many it lists at most.</summary>
    public static readonly TimeSpan ListWindow = TimeSpan.FromDays(7);

    public const int ListMax = 200;

    /// <summary>
    /// <c>GET /api/deploys?state=live|all</c> (default live): deploys registered in the last
    /// <see cref="ListWindow"/>, newest first; live ones are deploying, baking or halted by a rollback.
    /// </summary>
    public async Task<IResult> ListAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var (_, refusal) = access.Authorize(request, ApiRole.Reader);
        if (refusal is not null)
        {
            return refusal;
        }

        var state = request.Query["state"].ToString();
        if (state is not ("" or "live" or "all"))
        {
            return Problems.BadRequest("state must be 'live' or 'all'");
        }

        var now = clock.GetUtcNow();
        var recent = await deploys.ListRecentAsync(now - ListWindow, ListMax, cancellationToken);
        return Results.Json(
            recent.Select(d => DeployListItem.Of(d, now)).Where(d => state == "all" || d.State.IsLive() || d.State == DeployState.Halted).ToList(),
            ApiJson.Replies);
    }

    /// <summary>
    /// <c>POST /api/deploys/{deployId}/steps/{stepId}</c> with <c>{"status": "applied" | "failed" | "running"}</c>.
    /// Applied and failed read the state the step made (the three-state rule's <c>after</c>).
    /// </summary>
    public async Task<IResult> ReportStepAsync(HttpRequest request, string deployId, string stepId, CancellationToken cancellationToken)
    {
        var (caller, refusal) = access.Authorize(request, ApiRole.Ci);
        if (refusal is not null)
        {
            return refusal;
        }

        var (report, problem) = await JsonBody.ReadAsync<StepReport>(request, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        if (report!.Status is not (StepStatus.Applied or StepStatus.Failed or StepStatus.Running))
        {
            return Problems.BadRequest("status must be 'applied', 'failed' or 'running'");
        }

        if (await FindAsync(deployId, cancellationToken) is not { } deploy)
        {
            return Problems.NotFound($"no deploy {deployId}");
        }

        if (deploy.FindStep(stepId) is not { } step)
        {
            return Problems.NotFound($"deploy {deployId} has no step {stepId}");
        }

        var after = report.Status == StepStatus.Running ? null : (await capture.ObserveAfterAsync(deployId, step, cancellationToken)).State;

        // Recorded even when halted: what CI really changed must be on record (evidence for a forced rollback).
        var updated = await deploys.UpdateAsync(deployId, d => d.Reported(stepId, report.Status, after, clock.GetUtcNow()), cancellationToken);
        if (updated!.RollbackId is not { } rollbackId)
        {
            return Results.Json(DeployView.Of(updated, clock.GetUtcNow()), ApiJson.Replies);
        }

        // A step in flight at the halt is in the rollback's plan as maybe applied; any other is not.
        var warning = $"deploy {deployId} was halted by rollback {rollbackId}; step {stepId} reported {report.Status} after the halt is recorded. If {rollbackId} planned it as in flight (see its status), it compares the target with the state before the deploy; otherwise revert it by hand, or force a new rollback once {rollbackId} ends";
        ApiLog.StepReportedAfterHalt(logger, deployId, stepId, report.Status.ToString(), rollbackId);
        await audit.AppendAsync(new AuditEntry(rollbackId, caller!.ActorFor(null, RollbackActors.Ci), AuditActions.StepReportedAfterHalt, new { deployId, stepId, report.Status }, report.Status.ToString(), warning), cancellationToken);
        return Problems.Conflict(warning);
    }

    /// <summary><c>POST /api/deploys/{deployId}/complete</c>: pending steps become applied and the bake window starts.</summary>
    public async Task<IResult> CompleteAsync(HttpRequest request, string deployId, CancellationToken cancellationToken)
    {
        var (_, refusal) = access.Authorize(request, ApiRole.Ci);
        if (refusal is not null)
        {
            return refusal;
        }

        if (await FindAsync(deployId, cancellationToken) is not { } deploy)
        {
            return Problems.NotFound($"no deploy {deployId}");
        }

        // Completion reports every pending or running step applied: read the state each made.
        var afters = new Dictionary<string, Core.Executors.TargetState>();
        if (deploy.State == DeployState.Active)
        {
            foreach (var step in deploy.Steps.Where(s => s.Status is StepStatus.Pending or StepStatus.Running))
            {
                if ((await capture.ObserveAfterAsync(deployId, step, cancellationToken)).State is { } state)
                {
                    afters[step.Id] = state;
                }
            }
        }

        var now = clock.GetUtcNow();
        var updated = await deploys.UpdateAsync(deployId, d => d.Completed(now, afters), cancellationToken);
        return updated!.State is DeployState.Baking or DeployState.Stable
            ? Results.Json(DeployView.Of(updated, now), ApiJson.Replies)
            : Problems.Conflict($"deploy {deployId} is {updated.State}: it cannot complete");
    }

    /// <summary><c>GET /api/deploys/{deployId}/gate</c>: may CI apply the next step?</summary>
    public async Task<IResult> GateAsync(HttpRequest request, string deployId, CancellationToken cancellationToken)
    {
        var (_, refusal) = access.Authorize(request, ApiRole.Ci);
        if (refusal is not null)
        {
            return refusal;
        }

        if (await FindAsync(deployId, cancellationToken) is not { } deploy)
        {
            return Problems.NotFound($"no deploy {deployId}");
        }

        var state = deploy.StateAt(clock.GetUtcNow());
        return state.ClosesGate()
            ? Results.Json(new GateReply(false, $"deploy is {state}: a rollback claimed it", deploy.RollbackId), ApiJson.Replies, statusCode: StatusCodes.Status409Conflict)
            : Results.Json(new GateReply(true, null, null), ApiJson.Replies);
    }

    /// <summary>
    /// A PagerDuty change event per registered deploy, so "related changes" shows it next to any
    /// incident. Best effort and bounded: CI never waits on a pager for long.
    /// </summary>
    private async Task AnnounceAsync(DeployRecord deploy)
    {
        using var budget = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        var notice = new ChangeNotice(
            deploy.Service,
            deploy.Environment,
            $"deploy {deploy.Service} {deploy.Version} to {deploy.Environment} registered ({deploy.Steps.Count} step(s))",
            deploy.RegisteredAt,
            new Dictionary<string, string> { ["deployId"] = deploy.DeployId, ["version"] = deploy.Version, ["previousVersion"] = deploy.PreviousVersion ?? "" },
            null);
        try
        {
            await pager.AnnounceAsync(notice, budget.Token);
        }
        catch (OperationCanceledException)
        {
            // The pager was slow; the registration stands.
        }
    }

    private async Task<DeployRecord?> FindAsync(string deployId, CancellationToken cancellationToken) =>
        Identifiers.IsValid(deployId) ? await deploys.GetAsync(deployId, cancellationToken) : null;
}

/// <summary>Body of a step report.</summary>
public sealed record StepReport
{
    [System.Text.Json.Serialization.JsonRequired]
    public StepStatus Status { get; init; }
}

/// <summary>The gate's answer.</summary>
public sealed record GateReply(bool Proceed, string? Reason, string? RollbackId);
