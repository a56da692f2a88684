using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Ports;
using RollbackFunctions.Core.Watching;

namespace RollbackFunctions.Api.Rollbacks;

/// <summary>
/// Starts the watcher of a deploy that has checks, once. The durable engines here accept a
/// duplicate instance id, so the claim is the deploy's own record: a conditional update marks it
/// <c>starting</c>, and only the request that made that change schedules. Called on registration and
/// again on a re-sent registration: a claim left <c>starting</c> by a crash before scheduling is
/// taken over after <see cref="StaleStart"/>, so CI's retry restarts a lost watcher.
/// </summary>
public sealed class WatcherStarter(IDeployStore deploys, IOptions<RollbackOptions> options)
{
    /// <summary>A watcher claimed this long ago and still not reporting was lost before it was scheduled.</summary>
    public static readonly TimeSpan StaleStart = TimeSpan.FromSeconds(30);

    public async Task EnsureWatchingAsync(DurableTaskClient durable, DeployRecord deploy, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (!deploy.IsWatched || !deploy.StateAt(now).IsLive())
        {
            return;
        }

        var claimed = false;
        await deploys.UpdateAsync(deploy.DeployId, current =>
        {
            // Runs again on a conflicting write: the last run decides.
            claimed = current.Watch is null || (current.Watch.State == "starting" && current.Watch.At < now - StaleStart);
            return claimed ? current with { Watch = new WatchReport("starting", now, []) } : null;
        }, cancellationToken);
        var instanceId = DeployWatchOrchestrator.InstanceIdFor(deploy.DeployId);
        if (!claimed || await durable.GetInstanceAsync(instanceId, cancellationToken) is not null)
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
