using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;
using RollbackFunctions.Core.Correlation;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Ports;
using RollbackFunctions.Core.Watching;

namespace RollbackFunctions.Api.Rollbacks;

/// <summary>
/// Starts the watcher of a deploy that has checks, once. The durable engines here accept a
/// duplicate instance id, so the claim is the deploy's own record: a conditional update marks it
/// <c>starting</c>, and only the request that made that change schedules. Called on registration and
/// again on a re-sent registration; and the sweep (<see cref="RecoverLostWatchersAsync"/>) restarts
/// every watcher that went stale without a running instance: lost before it was scheduled, failed,
/// or ended by an older version while its deploy is still watched.
/// </summary>
public sealed class WatcherStarter(IDeployStore deploys, IOptions<RollbackOptions> options, IOptions<CorrelationOptions> correlation, TimeProvider clock)
{
    /// <summary>A watcher claimed this long ago and still not reporting was lost before it was scheduled.</summary>
    public static readonly TimeSpan StaleStart = TimeSpan.FromSeconds(30);

    /// <summary>Most deploys one sweep looks at.</summary>
    private const int MaxSwept = 500;

    /// <summary>When this host last swept for stale watchers (<see cref="RollbackOptions.WatcherSweepInterval"/>).</summary>
    private DateTimeOffset lastSweep = DateTimeOffset.MinValue;

    /// <summary>Whether the deploy's watcher is stale, under this host's grace (<see cref="RollbackOptions.WatcherStaleGrace"/>).</summary>
    public bool IsStale(DeployRecord deploy, DateTimeOffset now) => WatchFreshness.IsStale(deploy, now, options.Value.WatcherStaleGrace);

    public async Task EnsureWatchingAsync(DurableTaskClient durable, DeployRecord deploy, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (!deploy.IsWatched || !deploy.StateAt(now).IsLive())
        {
            return;
        }

        await StartAsync(durable, deploy.DeployId, current => current.Watch is null || (current.Watch.State == WatchReport.Starting && current.Watch.At < now - StaleStart), now, cancellationToken);
    }

    /// <summary>
    /// Restarts stale watchers (<see cref="WatchFreshness"/>) whose instance is not running, and
    /// publishes how many are stale. Returns how many it restarted. Run on the lost-claim sweep's
    /// ticks, at most every <see cref="RollbackOptions.WatcherSweepInterval"/>.
    /// </summary>
    public async Task<int> RecoverLostWatchersAsync(DurableTaskClient durable, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        if (now - lastSweep < options.Value.WatcherSweepInterval)
        {
            return 0;
        }

        lastSweep = now;
        var since = now - correlation.Value.ActiveDeployTimeout - TimeSpan.FromMinutes(DeployDefaults.MaxWatchMinutes);
        var stale = (await deploys.ListRecentAsync(since, MaxSwept, cancellationToken)).Where(d => IsStale(d, now)).ToList();
        WatchFreshness.Observed(this, stale.Count);
        var restarted = 0;
        foreach (var deploy in stale)
        {
            var instance = await durable.GetInstanceAsync(DeployWatchOrchestrator.InstanceIdFor(deploy.DeployId), cancellationToken);
            if (instance is { RuntimeStatus: OrchestrationRuntimeStatus.Running or OrchestrationRuntimeStatus.Pending or OrchestrationRuntimeStatus.Suspended })
            {
                continue; // alive but behind (a loaded engine): shown as stale, not started twice
            }

            // The claim: only the sweep that moves the report it read starts the watcher again.
            var seen = deploy.Watch?.At;
            if (await StartAsync(durable, deploy.DeployId, current => current.Watch?.At == seen && IsStale(current, now), now, cancellationToken, restart: instance is not null))
            {
                restarted++;
            }
        }

        return restarted;
    }

    private async Task<bool> StartAsync(DurableTaskClient durable, string deployId, Func<DeployRecord, bool> mayClaim, DateTimeOffset now, CancellationToken cancellationToken, bool restart = false)
    {
        var claimed = false;
        await deploys.UpdateAsync(deployId, current =>
        {
            // Runs again on a conflicting write: the last run decides.
            claimed = mayClaim(current);
            return claimed ? current with { Watch = new WatchReport(WatchReport.Starting, now, current.Watch?.LastSamples ?? []) } : null;
        }, cancellationToken);
        var instanceId = DeployWatchOrchestrator.InstanceIdFor(deployId);
        if (!claimed || (!restart && await durable.GetInstanceAsync(instanceId, cancellationToken) is not null))
        {
            return false;
        }

        // The streaks start over: a restarted watcher counts again, against the baseline stored on the deploy.
        await durable.ScheduleNewOrchestrationInstanceAsync(
            nameof(DeployWatchOrchestrator),
            new WatchRequest(deployId, options.Value.ShortestTimer, new Dictionary<string, CheckStreak>(), ActiveDeployTimeout: correlation.Value.ActiveDeployTimeout),
            new StartOrchestrationOptions(instanceId),
            cancellationToken);
        return true;
    }
}
