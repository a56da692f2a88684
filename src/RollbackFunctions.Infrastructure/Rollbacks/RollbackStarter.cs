using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Orchestration;
using RollbackFunctions.Core.Ports;
using RollbackFunctions.Core.Rollbacks;

namespace RollbackFunctions.Infrastructure.Rollbacks;

/// <summary>Whether a request started the rollback of a deploy, and its id either way.</summary>
public sealed record RollbackStart(string DeployId, string RollbackId, bool Started);

/// <summary>
/// Starts the one rollback of a deploy. The claim is a conditional insert in Table storage keyed
/// by a rollback id derived from the deploy id: however many alerts race, one insert succeeds, and
/// only its caller schedules the orchestration. The durable engines used here accept duplicate
/// instance ids, so the engine is never relied on for this.
/// </summary>
public sealed partial class RollbackStarter(
    IDeployStore deploys,
    IRollbackStore rollbacks,
    IOptions<RollbackOptions> options,
    TimeProvider clock,
    ILogger<RollbackStarter> logger)
{
    public async Task<RollbackStart> StartAsync(DurableTaskClient durable, string deployId, RollbackTrigger trigger, CancellationToken cancellationToken)
    {
        var rollbackId = Identifiers.RollbackIdFor(deployId);
        var now = clock.GetUtcNow();
        var head = new RollbackRecord { RollbackId = rollbackId, DeployId = deployId, Phase = RollbackPhase.Halting, Trigger = trigger, ClaimedAt = now };
        if (!await rollbacks.TryClaimAsync(head, cancellationToken) && !await TryRecoverLostClaimAsync(durable, rollbackId, now, cancellationToken))
        {
            return new RollbackStart(deployId, rollbackId, Started: false);
        }

        // Halt before scheduling so the gate refuses the next step from the moment the claim answers.
        await deploys.UpdateAsync(
            deployId,
            d => d.State == DeployState.Halted && d.RollbackId == rollbackId ? null : d with { State = DeployState.Halted, RollbackId = rollbackId },
            cancellationToken);
        await durable.ScheduleNewOrchestrationInstanceAsync(
            nameof(RollbackOrchestrator),
            new RollbackRequest(rollbackId, deployId, options.Value.ToSettings()),
            new StartOrchestrationOptions(rollbackId),
            cancellationToken);
        await rollbacks.MarkScheduledAsync(rollbackId, clock.GetUtcNow(), cancellationToken);
        LogStarted(logger, rollbackId, deployId, trigger.Kind, trigger.Reason);
        return new RollbackStart(deployId, rollbackId, Started: true);
    }

    /// <summary>A claimer that crashed before scheduling leaves a claim without an orchestration; take it over once.</summary>
    private async Task<bool> TryRecoverLostClaimAsync(DurableTaskClient durable, string rollbackId, DateTimeOffset now, CancellationToken cancellationToken)
    {
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

        LogRecovered(logger, rollbackId);
        return true;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rollback {RollbackId} of deploy {DeployId} started by {TriggerKind}: {Reason}")]
    private static partial void LogStarted(ILogger logger, string rollbackId, string deployId, string triggerKind, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rollback {RollbackId} was claimed but never scheduled; scheduling it now")]
    private static partial void LogRecovered(ILogger logger, string rollbackId);
}
