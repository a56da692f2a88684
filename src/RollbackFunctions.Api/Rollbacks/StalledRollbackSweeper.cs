using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace RollbackFunctions.Api.Rollbacks;

/// <summary>
/// Runs <see cref="StalledRollbacks"/> every <see cref="RollbackOptions.StalledSweepInterval"/>. The
/// local runtime's; the Functions app runs the same sweep on a timer trigger.
/// </summary>
public sealed class StalledRollbackSweeper(StalledRollbacks stalled, DurableTaskClient durable, IOptions<RollbackOptions> options, ILogger<StalledRollbackSweeper> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.StalledSweepInterval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await stalled.RecoverAsync(durable, stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Storage or the engine is down; the next sweep tries again.
                ApiLog.StalledSweepFailed(logger, e);
            }
        }
    }
}
