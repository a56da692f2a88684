using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;
using RollbackFunctions.Core.Audit;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Notifications;
using RollbackFunctions.Core.Policy;
using RollbackFunctions.Core.Ports;
using RollbackFunctions.Core.Rollbacks;

namespace RollbackFunctions.Api.Rollbacks;

/// <summary>
/// Reads what <see cref="RollbackGuard"/> weighs, asks it, and acts on a refusal: on-call is paged
/// with the reason (on the durable notice path: retried, and the deploy records whether it was
/// delivered) and the decision is audited, once per rule and window however often the alert is
/// re-sent. Every decision is audited on the chain of the rollback it concerns.
/// </summary>
public sealed class PolicyGate(
    IDeployStore deploys,
    IRollbackStore rollbacks,
    IAlertLog alertLog,
    IAuditLog audit,
    IOptions<PolicyOptions> options,
    TimeProvider clock)
{
    public PolicyOptions Policy => options.Value;

    /// <summary>Decides about starting a rollback of <paramref name="deploy"/> for <paramref name="trigger"/>; pages and audits a refusal.</summary>
    public async Task<GuardDecision> DecideAsync(DurableTaskClient durable, DeployRecord deploy, RollbackTrigger trigger, CancellationToken cancellationToken)
    {
        var automatic = trigger.Kind is TriggerKinds.Alert or TriggerKinds.Watcher;
        var now = clock.GetUtcNow();
        var inputs = automatic
            ? new GuardInputs(true, await RecentAutomaticRollbacksAsync(deploy, now, cancellationToken), await FiringServicesAsync(deploy, trigger, now, cancellationToken))
            : new GuardInputs(false, 0, 0);
        var decision = RollbackGuard.Decide(Policy, deploy, inputs);
        if (decision.Verdict == GuardVerdict.Refuse)
        {
            await RefuseAsync(durable, deploy, decision, now, cancellationToken);
        }

        return decision;
    }

    /// <summary>Audits a decision that let a rollback start, on that rollback's chain.</summary>
    public Task AuditAsync(string rollbackId, GuardDecision decision, CancellationToken cancellationToken) =>
        audit.AppendAsync(new AuditEntry(rollbackId, RollbackActors.System, AuditActions.PolicyDecided, new { decision.Rule }, decision.Verdict.ToString().ToLowerInvariant(), decision.Reason), cancellationToken);

    private async Task<int> RecentAutomaticRollbacksAsync(DeployRecord deploy, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var since = now - Policy.AutomaticRollbackWindow;
        var count = 0;
        foreach (var other in await deploys.FindAsync(deploy.Service, deploy.Environment, cancellationToken))
        {
            if (other.RollbackId is { } rollbackId && await rollbacks.GetAsync(rollbackId, cancellationToken) is { } head
                && head.ClaimedAt >= since && head.Trigger.Kind is TriggerKinds.Alert or TriggerKinds.Watcher)
            {
                count++;
            }
        }

        return count;
    }

    private async Task<int> FiringServicesAsync(DeployRecord deploy, RollbackTrigger trigger, DateTimeOffset now, CancellationToken cancellationToken)
    {
        // Alerts were noted by the intake; a watcher's breach never passes it, so it is noted here.
        if (trigger.Kind == TriggerKinds.Watcher)
        {
            await alertLog.NoteFiringAsync(deploy.Service, deploy.Environment, now, cancellationToken);
        }

        return await alertLog.CountFiringServicesAsync(deploy.Environment, now - Policy.MassAlertWindow, cancellationToken);
    }

    private async Task RefuseAsync(DurableTaskClient durable, DeployRecord deploy, GuardDecision decision, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var refusal = new PolicyRefusal(decision.Rule, decision.Reason, now);
        var first = false;
        await deploys.UpdateAsync(
            deploy.DeployId,
            d =>
            {
                // Re-sent alerts are answered the same way without paging again within the window.
                first = d.Refused is not { } last || last.Rule != refusal.Rule || now - last.At >= Policy.AutomaticRollbackWindow;
                return first ? d with { Refused = refusal } : null;
            },
            cancellationToken);
        if (!first)
        {
            return;
        }

        await audit.AppendAsync(
            new AuditEntry(Identifiers.RollbackIdFor(deploy.DeployId), RollbackActors.System, AuditActions.PolicyDecided, new { decision.Rule, deploy.DeployId }, "refused", decision.Reason),
            cancellationToken);
        var notice = new NoticeRequest(deploy.DeployId, $"policy-{decision.Rule}-{deploy.DeployId}", "NotRolledBack", decision.Reason, new Dictionary<string, string> { ["rule"] = decision.Rule, ["deploy"] = deploy.DeployId }, refusal.At.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
        try
        {
            await NoticeScheduler.ScheduleAsync(durable, notice, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Not scheduled: forget the refusal, so the alert's retry (this request fails) pages it.
            await deploys.UpdateAsync(deploy.DeployId, d => d.Refused == refusal ? d with { Refused = null } : null, CancellationToken.None);
            throw;
        }
    }
}
