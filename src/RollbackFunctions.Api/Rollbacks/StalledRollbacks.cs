using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RollbackFunctions.Core.Audit;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Notifications;
using RollbackFunctions.Core.Orchestration;
using RollbackFunctions.Core.Policy;
using RollbackFunctions.Core.Ports;
using RollbackFunctions.Core.Rollbacks;

namespace RollbackFunctions.Api.Rollbacks;

/// <summary>
/// Finds rollbacks whose record is not finished while their orchestration has stopped: Failed (on
/// Azure Functions a worker shutting down on scale-in can fail an orchestrator replay for good,
/// azure-functions-durable-extension #3216, #3231, #3452), Terminated, or missing. Each is
/// restarted from its record with the same instance id, so status links and operator events keep
/// working; after <see cref="RollbackOptions.StalledRestartLimit"/> restarts it is escalated instead:
/// failed, with a page. Restarting is safe because the rollback's own rows decide: a step already
/// reverted is planned again and its revert activity returns without calling the executor
/// (<see cref="HaltDeployActivity"/>, <see cref="RevertStepActivity"/>); a step that was mid-revert
/// runs again with the same idempotency key (SAFETY.md 4); approvals are asked for again.
/// Each restart or escalation is claimed on the record first, so hosts sweeping at once act once.
/// </summary>
public sealed class StalledRollbacks(
    IRollbackStore rollbacks,
    RollbackStarter starter,
    CompleteRollbackActivity complete,
    SendPageActivity pages,
    IAuditLog audit,
    IOptions<RollbackOptions> options,
    TimeProvider clock,
    ILogger<StalledRollbacks> logger)
{
    /// <summary>Restarts or escalates every stalled rollback; returns how many it acted on.</summary>
    public async Task<int> RecoverAsync(DurableTaskClient durable, CancellationToken cancellationToken)
    {
        var settledBefore = clock.GetUtcNow() - options.Value.StalledAfter;
        var acted = 0;
        foreach (var head in await rollbacks.ListAsync(activeOnly: true, cancellationToken))
        {
            // Never scheduled: the lost-claim sweep's. Just (re)scheduled: give the engine its time.
            if (head.ScheduledAt is not { } scheduled || scheduled > settledBefore)
            {
                continue;
            }

            var instance = await durable.GetInstanceAsync(head.RollbackId, getInputsAndOutputs: true, cancellationToken);
            if (instance is not null && instance.RuntimeStatus is not (OrchestrationRuntimeStatus.Failed or OrchestrationRuntimeStatus.Terminated))
            {
                continue;
            }

            var state = instance is null ? "missing" : $"{instance.RuntimeStatus}{(instance.FailureDetails is { } failure ? $" ({failure.ErrorMessage})" : "")}";
            // The count on the record is the claim: of many sweepers, one moves it on and acts.
            if (!await rollbacks.TryMarkRestartedAsync(head.RollbackId, head.Restarts, clock.GetUtcNow(), cancellationToken))
            {
                continue;
            }

            if (head.Restarts >= options.Value.StalledRestartLimit)
            {
                await EscalateAsync(head, state, cancellationToken);
            }
            else
            {
                await RestartAsync(durable, head, state, cancellationToken);
            }

            acted++;
        }

        return acted;
    }

    private async Task RestartAsync(DurableTaskClient durable, RollbackRecord head, string state, CancellationToken cancellationToken)
    {
        var restart = head.Restarts + 1;
        ApiLog.StalledRollbackRestarted(logger, head.RollbackId, state, restart);
        await audit.AppendAsync(
            new AuditEntry(head.RollbackId, RollbackActors.System, AuditActions.RollbackRestarted, new { state, restart }, "restarted", $"orchestration {state} while the rollback was {head.Phase}; restarted from its record (restart {restart} of at most {options.Value.StalledRestartLimit})"),
            cancellationToken);
        await starter.ScheduleAsync(durable, head.RollbackId, head.DeployId, head.Trigger.Alerts.Count, head.Approvals ?? RollbackApprovals.None, starter.QuarantineOf(head), cancellationToken);
    }

    /// <summary>Fails the rollback the way the orchestration would, and pages with the evidence.</summary>
    private async Task EscalateAsync(RollbackRecord head, string state, CancellationToken cancellationToken)
    {
        ApiLog.StalledRollbackEscalated(logger, head.RollbackId, state, head.Restarts);
        var steps = await rollbacks.GetStepsAsync(head.RollbackId, cancellationToken);
        var summary = $"rollback {head.RollbackId} stopped: its orchestration is {state} after {head.Restarts} restart(s); manual intervention needed; "
            + $"step statuses: {(steps.Count == 0 ? "none recorded" : string.Join(", ", steps.Select(s => $"{s.StepId} {s.Status}")))}";
        // A planned step never started stays as the deploy has it (applied): a forced rollback retries it.
        var decided = steps.Where(s => s.Status != StepStatus.Pending).ToDictionary(s => s.StepId, s => s.Status);
        // What it did revert is quarantined as at any other end: a retried pipeline must not bring it back.
        await complete.ExecuteAsync(new CompletionRequest(head.RollbackId, head.DeployId, RollbackPhase.Failed, summary, decided) { QuarantineFor = starter.QuarantineOf(head) }, cancellationToken);
        try
        {
            await pages.ExecuteAsync(new PageRequest(head.RollbackId, PageKind.RollbackFailed, summary), cancellationToken);
        }
        catch (PageNotDeliveredException)
        {
            // Every channel refused; the activity audited each failure. The failed phase stands on the status page.
        }
    }
}
