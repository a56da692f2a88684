using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using RollbackFunctions.Core.Insights;
using RollbackFunctions.Core.Telemetry;

namespace RollbackFunctions.Api.Insights;

/// <summary>
/// The impact figures of the last <see cref="Days"/> days as gauges under the product's meter
/// (<c>/metrics</c> in the local runtime), per environment only: environments are declared, so the
/// label set is bounded, where a service label could take any name a registration sends. A scrape
/// reads the last computed figures and, when they are older than <see cref="MaxAge"/>, starts one
/// recomputation in the background, so scrapes never wait on storage and cost one read per minute at most.
/// The instruments are created once per process (a meter listener sees every meter of a name, and
/// a second instrument of the same name is dropped as a duplicate); each host's figures feed them.
/// </summary>
public sealed class ImpactGauges : IDisposable
{
    public const int Days = 30;
    public static readonly TimeSpan MaxAge = TimeSpan.FromMinutes(1);

    private static readonly Meter Meter = new(RollbackTelemetry.Name);

    /// <summary>The hosts of this process whose figures the instruments report (one outside tests).</summary>
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<ImpactGauges, object> Hosts = new();

    private readonly ImpactReader reader;
    private readonly TimeProvider clock;
    private readonly ILogger<ImpactGauges> logger;
    private readonly Lock gate = new();
    private volatile InsightsReply? figures;
    private DateTimeOffset computedAt = DateTimeOffset.MinValue;
    private Task refreshing = Task.CompletedTask;

    static ImpactGauges()
    {
        Gauge("rollback.impact.deploys", "{deploy}", "Deploys registered in the last 30 days", g => g.Deploys);
        Meter.CreateObservableGauge("rollback.impact.rollbacks", () => Observe(g => ImpactTriggers.All.Select(t => Measure(ByTrigger(g.RollbacksByTrigger, t), g, ("trigger", t)))), "{rollback}", "Rollbacks claimed in the last 30 days, by trigger");
        Gauge("rollback.impact.change_failure_rate", "1", "Share of the last 30 days' deploys that were rolled back", g => g.ChangeFailureRate);
        Spread("rollback.impact.time_to_detect", "First bad sample or alert start to the claim", g => g.TimeToDetect);
        Spread("rollback.impact.time_to_first_revert", "First bad signal (or the claim) to the first revert started", g => g.TimeToFirstRevert);
        Spread("rollback.impact.time_to_restore", "First bad signal (or the claim) to health verified", g => g.TimeToRestore);
        Spread("rollback.impact.lead_time", "Commit to the deploy completing", g => g.LeadTime);
        Gauge("rollback.impact.partial_rollbacks", "{rollback}", "Rollbacks that ended with a layer not reverted", g => g.PartialRollbacks.Count);
        Gauge("rollback.impact.pages", "{page}", "Pages delivered about the rollbacks", g => g.Pages);
        Gauge("rollback.impact.error_budget_consumed", "1", "Share of a 30-day error budget the incidents consumed, summed", g => g.ErrorBudgetConsumed?.Total);
        Gauge("rollback.impact.deployment_frequency", "{deploy}/d", "Deploys per day", g => g.DeploymentFrequency);
    }

    public ImpactGauges(ImpactReader reader, TimeProvider clock, ILogger<ImpactGauges> logger)
    {
        (this.reader, this.clock, this.logger) = (reader, clock, logger);
        Hosts.AddOrUpdate(this, this);
    }

    public void Dispose() => Hosts.Remove(this);

    private static void Gauge(string name, string unit, string description, Func<ImpactGroup, double?> value) =>
        Meter.CreateObservableGauge(name, () => Observe(g => [Measure(value(g), g)]), unit, description);

    private static void Spread(string name, string description, Func<ImpactGroup, DurationSpread> spread) =>
        Meter.CreateObservableGauge(name, () => Observe(g => [Measure(spread(g).P50, g, ("quantile", "0.5")), Measure(spread(g).P90, g, ("quantile", "0.9"))]), "s", description);

    private static int ByTrigger(RollbacksByTrigger counts, string trigger) => trigger switch
    {
        ImpactTriggers.Watcher => counts.Watcher,
        ImpactTriggers.Alert => counts.Alert,
        _ => counts.Operator,
    };

    private static Measurement<double>? Measure(double? value, ImpactGroup group, params (string Key, string Value)[] tags) =>
        value is { } v
            ? new Measurement<double>(v, tags.Select(t => new KeyValuePair<string, object?>(t.Key, t.Value)).Prepend(new("environment", group.Environment)))
            : null;

    private static List<Measurement<double>> Observe(Func<ImpactGroup, IEnumerable<Measurement<double>?>> measure) =>
        Hosts.SelectMany(host => host.Key.Groups()).SelectMany(measure).OfType<Measurement<double>>().ToList();

    /// <summary>The last figures' groups; starts a recomputation when they are stale.</summary>
    private IReadOnlyList<ImpactGroup> Groups()
    {
        RefreshIfStale();
        return figures?.Groups ?? [];
    }

    private void RefreshIfStale()
    {
        lock (gate)
        {
            if (clock.GetUtcNow() - computedAt < MaxAge || !refreshing.IsCompleted)
            {
                return;
            }

            refreshing = Task.Run(RefreshAsync);
        }
    }

    private async Task RefreshAsync()
    {
        var now = clock.GetUtcNow();
        try
        {
            figures = await reader.ReadAsync(now.AddDays(-Days), now, null, null, (_, _) => true, CancellationToken.None, perService: false);
            lock (gate)
            {
                computedAt = now;
            }
        }
        catch (Exception e)
        {
            // Storage down: the gauges keep the last figures, and the next scrape tries again.
            ApiLog.ImpactFiguresFailed(logger, e);
        }
    }
}

/// <summary>Creates the gauges when the host starts: an instrument exists only once its meter is built.</summary>
internal sealed class ImpactGaugesOnStart(ImpactGauges gauges) : Microsoft.Extensions.Hosting.IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => Task.FromResult(gauges);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
