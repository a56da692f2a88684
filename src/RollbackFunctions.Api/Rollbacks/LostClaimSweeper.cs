using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace RollbackFunctions.Api.Rollbacks;

/// <summary>
/// Looks for rollback claims a crashed claimer left unscheduled, every
/// <see cref="RollbackOptions.LostClaimSweepInterval"/>, so a rollback is never left waiting for the
/// next alert; and for watchers that went stale without a running instance, which it restarts. The
/// local runtime's; the Functions app runs the same sweep on a timer trigger.
/// </summary>
public sealed class LostClaimSweeper(RollbackStarter starter, WatcherStarter watchers, DurableTaskClient durable, IOptions<RollbackOptions> options, ILogger<LostClaimSweeper> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.LostClaimSweepInterval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await starter.RecoverLostClaimsAsync(durable, stoppingToken);
                await watchers.RecoverLostWatchersAsync(durable, stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Storage or the engine is down; the next sweep tries again.
                ApiLog.LostClaimSweepFailed(logger, e);
            }
        }
    }
}
