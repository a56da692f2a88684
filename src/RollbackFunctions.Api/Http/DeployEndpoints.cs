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
using RollbackFunctions.Core.Quarantine;

namespace RollbackFunctions.Api.Http;

/// <summary>What CI calls: register a deploy, report steps, complete it, ask the gate.</summary>
public sealed class DeployEndpoints(
    IDeployStore deploys,
    IQuarantineStore quarantine,
    RollbackPlans plans,
    RegistrationValidator validator,
    DeployEnvironments environments,
    StepCapture capture,
    CheckTemplates templates,
    WatcherStarter watchers,
    ApiAccess access,
    IPager pager, IAuditLog audit, TimeProvider clock, ILogger<DeployEndpoints> logger,
    Microsoft.Extensions.Options.IOptions<Core.Policy.PolicyOptions> policy)
{
    /// <summary><c>POST /api/deploys</c>: 201 created, 200 same body again, 409 same id with another body.</summary>
    public async Task<IResult> RegisterAsync(HttpRequest request, DurableTaskClient durable, CancellationToken cancellationToken)
    {
        var (caller, refusal) = access.Authorize(request, ApiRole.Ci);
        if (refusal is not null)
        {
            return refusal;
        }

        var (registration, problem) = await JsonBody.ReadAsync<DeployRegistration>(request, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var errors = validator.Validate(registration!).ToDictionary();
        if (CommitTimes.Problem(registration!.CommitTime, clock.GetUtcNow(), policy.Value.ClockSkew) is { } commitProblem)
        {
            errors["commitTime"] = [commitProblem];
        }

        if (errors.Count > 0)
        {
            return Problems.BadRequest("the deploy registration has problems; nothing was stored", errors);
        }

        // The environment first: the key's scope and every policy are written for declared environments only.
        var allowed = environments.Check(registration!);
        if (allowed.Environment is null)
        {
            return Problems.Unprocessable("the deploy's environment is not declared; nothing was stored", allowed.Problems);
        }

        // Stored as declared: PROD registers as prod.
        registration = registration! with { Environment = allowed.Environment };
        if (!caller!.Permits(registration.Service, registration.Environment))
        {
            return Problems.OutOfScope(registration.Service, registration.Environment);
        }

        if (allowed.Problems.Count > 0)
        {
            return Problems.Unprocessable("a step's target does not serve the deploy's environment; nothing was stored", allowed.Problems);
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

        if (await QuarantinedAsync(record, cancellationToken) is { } entry)
        {
            return Problems.Quarantined(QuarantineRule.Explain(entry), entry.RollbackId);
        }

        var (captured, failure) = await capture.CaptureAsync(record, cancellationToken);
        if (failure is not null)
        {
            return Problems.CaptureFailed(failure.Problems, failure.Transient);
        }

        var (stored, created) = await deploys.AddAsync(captured!, cancellationToken);
        var view = DeployView.Of(stored, clock.GetUtcNow(), watchers.IsStale);
        if (created)
        {
            ApiLog.DeployRegistered(logger, stored.DeployId, stored.Service, stored.Version, stored.Environment, stored.Steps.Count);
            await AuditAsync(stored.DeployId, caller, AuditActions.DeployRegistered, new { stored.DeployId, stored.RegistrationDigest }, "registered",
                $"deploy {stored.Service} {stored.Version} to {stored.Environment} registered with {stored.Steps.Count} step(s)", cancellationToken);
            await watchers.EnsureWatchingAsync(durable, stored, clock.GetUtcNow(), cancellationToken);
            await AnnounceAsync(stored);
            // CI learns now, not mid-incident, whether this deploy can be rolled back without a person.
            return Results.Json(view with { Plan = await PlanOrNoneAsync(stored, cancellationToken) }, ApiJson.Replies, statusCode: StatusCodes.Status201Created);
        }

        return SameRegistration(stored, record);
    }

    /// <summary>The same id again: 200 with the stored deploy for the same body, 409 for another.</summary>
    private IResult SameRegistration(DeployRecord stored, DeployRecord sent) =>
        stored.RegistrationDigest == sent.RegistrationDigest
            ? Results.Json(DeployView.Of(stored, clock.GetUtcNow(), watchers.IsStale), ApiJson.Replies)
            : Problems.Conflict($"deploy {stored.DeployId} is already registered with a different body");

    /// <summary><c>GET /api/deploys/{deployId}</c>.</summary>
    public async Task<IResult> GetAsync(HttpRequest request, string deployId, CancellationToken cancellationToken)
    {
        var (caller, refusal) = access.Authorize(request, ApiRole.Reader);
        if (refusal is not null)
        {
            return refusal;
        }

        var deploy = await FindAsync(deployId, cancellationToken);
        return ScopeGuard.Permits(caller!, deploy) ? Results.Json(DeployView.Of(deploy, clock.GetUtcNow(), watchers.IsStale), ApiJson.Replies) : ScopeGuard.DeployNotFound(deployId);
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
        var (caller, refusal) = access.Authorize(request, ApiRole.Reader);
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
            recent.Where(d => caller!.Permits(d.Service, d.Environment)).Select(d => DeployListItem.Of(d, now, watchers.IsStale)).Where(d => state == "all" || d.State.IsLive() || d.State == DeployState.Halted).ToList(),
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

        var deploy = await FindAsync(deployId, cancellationToken);
        if (!ScopeGuard.Permits(caller!, deploy))
        {
            return ScopeGuard.DeployNotFound(deployId);
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
            await AuditAsync(deployId, caller!, AuditActions.StepReported, new { deployId, stepId, report.Status }, report.Status.ToString(), $"step {stepId} of deploy {deployId} reported {report.Status}", cancellationToken);
            return Results.Json(DeployView.Of(updated, clock.GetUtcNow(), watchers.IsStale), ApiJson.Replies);
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
        var (caller, refusal) = access.Authorize(request, ApiRole.Ci);
        if (refusal is not null)
        {
            return refusal;
        }

        var deploy = await FindAsync(deployId, cancellationToken);
        if (!ScopeGuard.Permits(caller!, deploy))
        {
            return ScopeGuard.DeployNotFound(deployId);
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
        if (updated!.State is not (DeployState.Baking or DeployState.Stable))
        {
            return Problems.Conflict($"deploy {deployId} is {updated.State}: it cannot complete");
        }

        // Audited when this call completed it; a re-sent complete changes nothing and says nothing.
        if (deploy.CompletedAt is null)
        {
            await AuditAsync(deployId, caller!, AuditActions.DeployCompleted, new { deployId }, updated.State.ToString(), $"deploy {deployId} completed; watching until {updated.WatchUntil:O}", cancellationToken);
        }

        return Results.Json(DeployView.Of(updated, now, watchers.IsStale), ApiJson.Replies);
    }

    /// <summary><c>GET /api/deploys/{deployId}/gate</c>: may CI apply the next step?</summary>
    public async Task<IResult> GateAsync(HttpRequest request, string deployId, CancellationToken cancellationToken)
    {
        var (caller, refusal) = access.Authorize(request, ApiRole.Ci);
        if (refusal is not null)
        {
            return refusal;
        }

        var deploy = await FindAsync(deployId, cancellationToken);
        if (!ScopeGuard.Permits(caller!, deploy))
        {
            return ScopeGuard.DeployNotFound(deployId);
        }

        var state = deploy.StateAt(clock.GetUtcNow());
        if (state.ClosesGate())
        {
            return Problems.GateClosed($"deploy is {state}: a rollback claimed it", deploy.RollbackId);
        }

        // Registered before another deploy's rollback quarantined what this one carries. Pre-flight
        // only, as readiness: closing the gate half-way would strand what CI applied with no rollback.
        if (!deploy.HasApplied() && await QuarantinedAsync(deploy, cancellationToken) is { } entry)
        {
            return Problems.GateClosed(QuarantineRule.Explain(entry), entry.RollbackId);
        }

        // The environment's readiness requirement (a reversible plan, a passed rehearsal) is not met.
        return await plans.UnmetAsync(deploy, cancellationToken) is { } missing
            ? Problems.GateClosed(missing, null)
            : Results.Json(new GateReply(true, null, null), ApiJson.Replies);
    }

    /// <summary>
    /// The plan for the registration reply, best effort: the deploy is stored by now, and a failed read
    /// of past rollbacks must not turn its 201 into an error (CI would retry a stored registration).
    /// <c>GET .../plan</c> answers it later.
    /// </summary>
    private async Task<Core.Planning.RollbackPlan?> PlanOrNoneAsync(DeployRecord deploy, CancellationToken cancellationToken)
    {
        try
        {
            return await plans.PlanAsync(deploy, cancellationToken);
        }
        catch (Exception e) when (e is Azure.RequestFailedException or IOException or TimeoutException)
        {
            ApiLog.PlanNotAnswered(logger, deploy.DeployId, e.GetType().Name);
            return null;
        }
    }

    private async Task<QuarantineEntry?> QuarantinedAsync(DeployRecord deploy, CancellationToken cancellationToken) =>
        QuarantineRule.Blocking(await quarantine.FindAsync(deploy.Service, deploy.Environment, cancellationToken), deploy, clock.GetUtcNow());

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

    /// <summary>
    /// What CI did to a deploy, with its key as actor, on the chain of the deploy's (first) rollback:
    /// whoever reads that rollback's trail sees who registered, reported and completed what it reverts.
    /// </summary>
    private Task AuditAsync(string deployId, Caller caller, string action, object inputs, string outcome, string detail, CancellationToken cancellationToken) =>
        audit.AppendAsync(new AuditEntry(Identifiers.RollbackIdFor(deployId), caller.ActorFor(null, RollbackActors.Ci), action, inputs, outcome, detail), cancellationToken);

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

/// <summary>The gate's 409 as the document describes it: a problem carrying the gate's fields (<see cref="Problems.GateClosed"/>).</summary>
public sealed record GateClosedProblemDetails(string Type, string Title, int Status, string Detail, bool Proceed, string Reason, string? RollbackId);
