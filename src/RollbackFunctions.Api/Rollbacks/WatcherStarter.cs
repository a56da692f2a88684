using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Watching;

namespace RollbackFunctions.Api.Rollbacks;

/// <summary>
/// Starts the watcher of a deploy that has checks, once: its instance id is derived from the deploy
/// id, and it is scheduled only when no instance exists. Called on registration and again on a
/// re-sent registration, so a watcher lost to a crash between storing the deploy and scheduling it
/// is started by CI's retry.
/// </summary>
public sealed class WatcherStarter(IOptions<RollbackOptions> options)
{
    public async Task EnsureWatchingAsync(DurableTaskClient durable, DeployRecord deploy, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (!deploy.IsWatched || !deploy.StateAt(now).IsLive())
        {
            return;
        }

        var instanceId = DeployWatchOrchestrator.InstanceIdFor(deploy.DeployId);
        if (await durable.GetInstanceAsync(instanceId, cancellationToken) is not null)
        {
            return;
        }

        await durable.ScheduleNewOrchestrationInstanceAsync(
            nameof(DeployWatchOrchestrator),
            new WatchRequest(deploy.DeployId, options.Value.ShortestTimer, new Dictionary<string, CheckStreak>()),
            new StartOrchestrationOptions(instanceId),
            cancellationToken);
    }
}
