using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using RollbackFunctions.Api.Rollbacks;

namespace RollbackFunctions.Orchestration;

/// <summary>Work the product does by itself, on timers.</summary>
public sealed class MaintenanceFunctions(RollbackStarter starter, StalledRollbacks stalled, WatcherStarter watchers, DeployRetention retention)
{
    /// <summary>Schedules rollback claims a crashed instance left unscheduled and restarts lost watchers (the local runtime's <see cref="LostClaimSweeper"/>).</summary>
    [Function("RecoverLostClaims")]
    public async Task RecoverLostClaims([TimerTrigger("*/30 * * * * *")] TimerInfo timer, [DurableClient] DurableTaskClient durable, CancellationToken cancellationToken)
    {
        await starter.RecoverLostClaimsAsync(durable, cancellationToken);
        await watchers.RecoverLostWatchersAsync(durable, cancellationToken);
    }

    /// <summary>Restarts or escalates rollbacks whose orchestration stopped before they finished (the local runtime's <see cref="StalledRollbackSweeper"/>).</summary>
    [Function("RecoverStalledRollbacks")]
    public Task RecoverStalledRollbacks([TimerTrigger("0 * * * * *")] TimerInfo timer, [DurableClient] DurableTaskClient durable, CancellationToken cancellationToken) =>
        stalled.RecoverAsync(durable, cancellationToken);

    /// <summary>Deletes old deploys that never had a rollback, hourly (the local runtime's <see cref="DeployPruner"/>).</summary>
    [Function("PruneDeploys")]
    public Task PruneDeploys([TimerTrigger("0 0 * * * *")] TimerInfo timer, CancellationToken cancellationToken) =>
        retention.PruneAsync(cancellationToken);
}
