using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RollbackFunctions.Core.Audit;
using RollbackFunctions.Core.Correlation;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Orchestration;
using RollbackFunctions.Core.Policy;
using RollbackFunctions.Core.Ports;
using RollbackFunctions.Core.Rollbacks;

namespace RollbackFunctions.Api.Rollbacks;

/// <summary>
/// Starts the one automatic rollback of a deploy. The claim is a conditional insert in Table
/// storage keyed by a rollback id derived from the deploy id: however many alerts race, one insert
/// succeeds, and only its caller schedules the orchestration. The durable engines used here accept
/// duplicate instance ids, so the engine is never relied on for this. An operator may force a
/// second rollback once the first has ended; it gets the next numbered id and is recorded as forced.
/// Before a new claim by automation (an alert, the watcher) the lifecycle decides whether the deploy
/// may be acted on at all (<see cref="DeployLifecycle"/>: it applied something, is live, is not
/// superseded nor abandoned), observe mode turns the rollback into a "would roll back" notice, and
/// then the guardrails (<see cref="PolicyGate"/>) decide: proceed, hold every step for approval, or
/// refuse and page instead.
/// </summary>
public sealed class RollbackStarter(
    IDeployStore deploys,
    IRollbackStore rollbacks,
    IAuditLog audit,
    PolicyGate policy,
    IOptions<RollbackOptions> options,
    IOptions<CorrelationOptions> correlation,
    TimeProvider clock,
    ILogger<RollbackStarter> logger)
{
    private const int MaxForcedRollbacks = 20;

    /// <summary>
    /// How long what <paramref name="head"/> reverts is quarantined: the policy fixed at its claim, so a
    /// rollback restarted or ended by a sweep keeps the rule it started under (S5); heads claimed before
    /// the claim recorded it take today's policy.
    /// </summary>
    public TimeSpan QuarantineOf(RollbackRecord head) => head.QuarantineFor ?? policy.Policy.QuarantineFor;

    public async Task<RollbackStart> StartAsync(DurableTaskClient durable, string deployId, RollbackTrigger trigger, CancellationToken cancellationToken, bool force = false)
    {
        var rollbackId = Identifiers.RollbackIdFor(deployId);
        var deploy = await deploys.GetAsync(deployId, cancellationToken);
        var existing = await rollbacks.GetAsync(rollbackId, cancellationToken);
        var decision = GuardDecisionNotNeeded;
        if (deploy is not null && existing is null && !force && trigger.Kind is TriggerKinds.Alert or TriggerKinds.Watcher
            && await WhyAutomationMayNotActAsync(durable, deploy, trigger, cancellationToken) is { } notActed)
        {
            return new RollbackStart(deployId, rollbackId, Started: false, notActed);
        }

        if (deploy is not null && (force || existing is null))
        {
            // A new rollback would start: the guardrails decide first. Re-sent alerts of a rollback that exists skip this.
            decision = await policy.DecideAsync(durable, deploy, trigger, cancellationToken);
            if (decision.Verdict == GuardVerdict.Refuse)
            {
                return new RollbackStart(deployId, rollbackId, Started: false, decision.Reason);
            }
        }

        var approvals = deploy is null ? RollbackApprovals.None : RollbackApprovals.For(policy.Policy, deploy, decision);
        var quarantineFor = policy.Policy.QuarantineFor;
        // A re-sent alert of a rollback that exists skips the insert that would only fail.
        var claimed = existing is null && await TryClaimAsync(rollbackId, deployId, trigger, approvals, quarantineFor, decision, cancellationToken);
        if (!claimed && await TryRecoverLostClaimAsync(durable, rollbackId, cancellationToken))
        {
            var recovered = await rollbacks.GetAsync(rollbackId, cancellationToken);
            approvals = recovered?.Approvals ?? approvals;
            quarantineFor = recovered is null ? quarantineFor : QuarantineOf(recovered);
            claimed = true;
        }

        if (!claimed)
        {
            if (!force)
            {
                return new RollbackStart(deployId, deploy?.RollbackId ?? rollbackId, Started: false);
            }

            var forced = await TryClaimForcedAsync(deployId, trigger, approvals, quarantineFor, decision, cancellationToken);
            if (forced.Refusal is not null)
            {
                return forced;
            }

            rollbackId = forced.RollbackId;
        }

        await ScheduleAsync(durable, rollbackId, deployId, trigger.Alerts.Count, approvals, quarantineFor, cancellationToken);
        ApiLog.RollbackStarted(logger, rollbackId, deployId, trigger.Kind, trigger.Reason);
        return new RollbackStart(deployId, rollbackId, Started: true);
    }

    /// <summary>
    /// Why an alert or the watcher must not roll <paramref name="deploy"/> back, or null: it applied
    /// nothing, is no longer live, is superseded or abandoned (a watcher racing a newer deploy's
    /// breach must not take the service two versions back), or is in observe mode, where on-call
    /// hears "would roll back" instead, once per deploy, on the durable notice path.
    /// </summary>
    private async Task<string?> WhyAutomationMayNotActAsync(DurableTaskClient durable, DeployRecord deploy, RollbackTrigger trigger, CancellationToken cancellationToken)
    {
        if (!deploy.HasApplied())
        {
            return $"not rolled back: {deploy.DeployId} applied nothing yet, so nothing of it can be at fault";
        }

        var ofService = await deploys.FindAsync(deploy.Service, deploy.Environment, cancellationToken, DeployLifecycle.SupersedesOlder);
        if (DeployLifecycle.WhyNotActedOn(deploy, ofService, clock.GetUtcNow(), correlation.Value.ActiveDeployTimeout) is { } ending)
        {
            return $"not rolled back: {ending.Detail}";
        }

        if (deploy.Mode != Core.Watching.DeployMode.Observe)
        {
            return null;
        }

        var summary = $"would roll back {deploy.Service} {deploy.Version} in {deploy.Environment} (observe mode): {trigger.Reason}";
        await NoticeScheduler.ScheduleAsync(durable, new Core.Notifications.NoticeRequest(deploy.DeployId, $"would-roll-back-{deploy.DeployId}", "WouldRollBack", summary, new Dictionary<string, string> { ["trigger"] = trigger.Kind, ["reason"] = trigger.Reason }), cancellationToken);
        return $"observe mode: {summary}";
    }

    /// <summary>For a deploy not (yet) registered nothing is guarded: the claim below finds no deploy to halt either.</summary>
    private static readonly GuardDecision GuardDecisionNotNeeded = new(GuardVerdict.Proceed, "none", "no new rollback");

    /// <summary>
    /// Schedules every claim a crashed claimer left unscheduled for longer than
    /// <see cref="RollbackOptions.StaleClaimAfter"/>, without waiting for another alert. Run
    /// periodically by each host; the take-over is a claim itself, so hosts racing here schedule once.
    /// </summary>
    public async Task<int> RecoverLostClaimsAsync(DurableTaskClient durable, CancellationToken cancellationToken)
    {
        var staleBefore = clock.GetUtcNow() - options.Value.StaleClaimAfter;
        var recovered = 0;
        foreach (var head in await rollbacks.ListAsync(activeOnly: true, cancellationToken))
        {
            if (head.ScheduledAt is null && head.ClaimedAt < staleBefore && await TryRecoverLostClaimAsync(durable, head.RollbackId, cancellationToken))
            {
                await ScheduleAsync(durable, head.RollbackId, head.DeployId, head.Trigger.Alerts.Count, head.Approvals ?? RollbackApprovals.None, QuarantineOf(head), cancellationToken);
                recovered++;
            }
        }

        return recovered;
    }

    /// <summary>Schedules the orchestration of a claimed rollback (again, for the stalled-rollback sweep), from what its record holds.</summary>
    internal async Task ScheduleAsync(DurableTaskClient durable, string rollbackId, string deployId, int triggerAlerts, RollbackApprovals approvals, TimeSpan quarantineFor, CancellationToken cancellationToken)
    {
        // Halt before scheduling so the gate refuses the next step from the moment the claim answers.
        await deploys.UpdateAsync(deployId, d => d.HaltedBy(rollbackId), cancellationToken);
        await durable.ScheduleNewOrchestrationInstanceAsync(
            nameof(RollbackOrchestrator),
            new RollbackRequest(rollbackId, deployId, triggerAlerts, options.Value.ToSettings(), approvals, quarantineFor) { ActionOrder = RollbackRequest.CurrentActionOrder },
            new StartOrchestrationOptions(rollbackId),
            cancellationToken);
        await rollbacks.MarkScheduledAsync(rollbackId, clock.GetUtcNow(), cancellationToken);
    }

    private async Task<bool> TryClaimAsync(string rollbackId, string deployId, RollbackTrigger trigger, RollbackApprovals approvals, TimeSpan quarantineFor, GuardDecision decision, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var head = new RollbackRecord
        {
            RollbackId = rollbackId,
            DeployId = deployId,
            Phase = RollbackPhase.Halting,
            Trigger = trigger,
            ClaimedAt = now,
            ClaimToken = Guid.NewGuid().ToString("N"),
            Approvals = approvals,
            QuarantineFor = quarantineFor,
            Timeline = [new PhaseChange(RollbackPhase.Halting, now, $"claimed by {trigger.Actor} ({trigger.Kind}): {trigger.Reason}")],
        };
        if (!await rollbacks.TryClaimAsync(head, cancellationToken)
            && (await rollbacks.GetAsync(rollbackId, cancellationToken))?.ClaimToken != head.ClaimToken)
        {
            return false;
        }

        await audit.AppendAsync(
            new AuditEntry(rollbackId, trigger.Actor, AuditActions.RollbackClaimed, new { deployId, trigger.Kind, alerts = trigger.Alerts.Select(a => a.DedupKey) }, "claimed", trigger.Reason),
            cancellationToken);
        await policy.AuditAsync(rollbackId, decision, cancellationToken);
        return true;
    }

    /// <summary>A forced rollback runs only after the previous one ended: two rollbacks reverting one deploy at once would fight.</summary>
    private async Task<RollbackStart> TryClaimForcedAsync(string deployId, RollbackTrigger trigger, RollbackApprovals approvals, TimeSpan quarantineFor, GuardDecision decision, CancellationToken cancellationToken)
    {
        var current = (await deploys.GetAsync(deployId, cancellationToken))?.RollbackId ?? Identifiers.RollbackIdFor(deployId);
        if (await rollbacks.GetAsync(current, cancellationToken) is { Phase: var phase } && !phase.IsTerminal())
        {
            return new RollbackStart(deployId, current, false, $"rollback {current} is still {phase}; abort it or wait for it to end before forcing another");
        }

        // The next id follows from the current one, so requests racing here all try the same id and
        // the conditional insert lets one through: never two forced rollbacks at once.
        var next = ForcedNumber(deployId, current) + 1;
        if (next > MaxForcedRollbacks)
        {
            return new RollbackStart(deployId, current, false, $"deploy {deployId} has had {MaxForcedRollbacks} rollbacks already");
        }

        var forcedTrigger = trigger with { Kind = TriggerKinds.ManualForced, Reason = $"forced after {current}: {trigger.Reason}" };
        var id = $"{Identifiers.RollbackIdFor(deployId)}-{next}";
        return await TryClaimAsync(id, deployId, forcedTrigger, approvals, quarantineFor, decision, cancellationToken)
            ? new RollbackStart(deployId, id, true)
            : new RollbackStart(deployId, id, false, $"rollback {id} was just started by another request");
    }

    /// <summary>1 for <c>rb-X</c>, n for <c>rb-X-n</c>.</summary>
    private static int ForcedNumber(string deployId, string rollbackId) =>
        rollbackId.StartsWith(Identifiers.RollbackIdFor(deployId) + "-", StringComparison.Ordinal)
        && int.TryParse(rollbackId[(Identifiers.RollbackIdFor(deployId).Length + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n)
            ? n
            : 1;

    /// <summary>A claimer that crashed before scheduling leaves a claim without an orchestration; take it over once.</summary>
    private async Task<bool> TryRecoverLostClaimAsync(DurableTaskClient durable, string rollbackId, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        if (!await rollbacks.TryTakeOverStaleClaimAsync(rollbackId, now - options.Value.StaleClaimAfter, now, cancellationToken))
        {
            return false;
        }

        if (await durable.GetInstanceAsync(rollbackId, cancellationToken) is not null)
        {
            // Scheduled after all; only the mark was lost.
            await rollbacks.MarkScheduledAsync(rollbackId, now, cancellationToken);
            return false;
        }

        ApiLog.LostClaimRecovered(logger, rollbackId);
        return true;
    }
}
