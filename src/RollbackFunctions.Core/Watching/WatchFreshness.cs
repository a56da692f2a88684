using System.Diagnostics.Metrics;
using RollbackFunctions.Core.Deploys;

namespace RollbackFunctions.Core.Watching;

/// <summary>
/// Whether a deploy's watcher is alive: one that should be sampling and has not written for
/// <see cref="MissedIntervals"/> intervals is stale. The ops page, <c>/metrics</c>
/// (<c>rollback.watchers.stale</c>) and the sweep that restarts lost watchers use this one rule.
/// </summary>
public static class WatchFreshness
{
    /// <summary>Rounds a watcher may miss before an operator should look.</summary>
    public const int MissedIntervals = 3;

    /// <summary>
    /// Never stale sooner than this by default (<c>Rollback:Orchestration:WatcherStaleGrace</c>): a
    /// watcher's first round follows its claim within seconds, engine permitting.
    /// </summary>
    public static readonly TimeSpan MinimumGrace = TimeSpan.FromSeconds(15);

    private static readonly Meter Meter = new(Telemetry.RollbackTelemetry.Name);

    /// <summary>Each sweeper's last count (one per host; several when tests run hosts side by side in one process).</summary>
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<object, System.Runtime.CompilerServices.StrongBox<int>> Counts = new();

    static WatchFreshness() =>
        Meter.CreateObservableGauge("rollback.watchers.stale", () => Counts.Sum(c => Volatile.Read(ref c.Value.Value)), "{watcher}", $"Watchers of live deploys that have not sampled for {MissedIntervals} intervals, as the last sweep found them");

    /// <summary>
    /// True when <paramref name="deploy"/> should be watched and its watcher has not reported for three
    /// intervals, and at least <paramref name="minimumGrace"/> (or never started).
    /// </summary>
    public static bool IsStale(DeployRecord deploy, DateTimeOffset now, TimeSpan minimumGrace)
    {
        if (!deploy.IsWatched || !deploy.StateAt(now).IsLive() || deploy.Watch?.State == WatchReport.EndedState)
        {
            return false;
        }

        var interval = deploy.Conditions!.WatchInterval ?? WatchDefaults.WatchInterval;
        var grace = interval * MissedIntervals > minimumGrace ? interval * MissedIntervals : minimumGrace;
        return now - (deploy.Watch?.At ?? deploy.RegisteredAt) > grace;
    }

    /// <summary>What the last sweep of <paramref name="sweeper"/> found, for <c>/metrics</c>.</summary>
    public static void Observed(object sweeper, int stale) => Volatile.Write(ref Counts.GetValue(sweeper, _ => new(0)).Value, stale);
}
