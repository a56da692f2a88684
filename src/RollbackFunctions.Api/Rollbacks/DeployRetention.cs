using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RollbackFunctions.Core.Ports;
using RollbackFunctions.Infrastructure.Storage;

namespace RollbackFunctions.Api.Rollbacks;

/// <summary>
/// Deletes deploys past <see cref="StorageOptions.RetainDeploys"/> that never had a rollback. Run
/// hourly: by <see cref="DeployPruner"/> in the local runtime, by a timer trigger in the Functions app.
/// </summary>
public sealed class DeployRetention(IDeployStore deploys, IOptions<StorageOptions> options, TimeProvider clock, ILogger<DeployRetention> logger)
{
    public static readonly TimeSpan Interval = TimeSpan.FromHours(1);

    public async Task PruneAsync(CancellationToken cancellationToken)
    {
        var pruned = await deploys.PruneAsync(clock.GetUtcNow() - options.Value.RetainDeploys, cancellationToken);
        if (pruned > 0)
        {
            ApiLog.DeploysPruned(logger, pruned, options.Value.RetainDeploys);
        }
    }
}

/// <summary>The local runtime's hourly <see cref="DeployRetention"/>.</summary>
public sealed class DeployPruner(DeployRetention retention, ILogger<DeployPruner> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(DeployRetention.Interval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await retention.PruneAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                ApiLog.DeployPruneFailed(logger, e); // storage down: the next hour tries again
            }
        }
    }
}
