using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using RollbackFunctions.Api.Rollbacks;

namespace RollbackFunctions.Orchestration;

/// <summary>Work the product does by itself, on timers.</summary>
public sealed class MaintenanceFunctions(RollbackStarter starter)
{
    /// <summary>Schedules rollback claims a crashed instance left unscheduled (the local runtime's <see cref="LostClaimSweeper"/>).</summary>
    [Function("RecoverLostClaims")]
    public Task RecoverLostClaims([TimerTrigger("*/30 * * * * *")] TimerInfo timer, [DurableClient] DurableTaskClient durable, CancellationToken cancellationToken) =>
        starter.RecoverLostClaimsAsync(durable, cancellationToken);
}
