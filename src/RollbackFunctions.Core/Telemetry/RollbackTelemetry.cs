using System.Diagnostics;
using System.Diagnostics.Metrics;
using RollbackFunctions.Core.Rollbacks;

namespace RollbackFunctions.Core.Telemetry;

/// <summary>
/// The product's own metrics, under the meter <see cref="Name"/>: alerts received, matched and
/// unmatched (by source); rollbacks ended (by outcome and trigger); how long from the alert to the
/// first revert, and how long a rollback took. Tags are bounded sets: never a service name, which
/// an unmatched alert could make anything. Spans come from the Durable Task SDK (one trace from the
/// webhook through the orchestration and its activities) and the HTTP instrumentations.
/// </summary>
public static class RollbackTelemetry
{
    public const string Name = "RollbackFunctions";

    private static readonly Meter Meter = new(Name);

    private static readonly Counter<long> AlertsReceived = Meter.CreateCounter<long>("rollback.alerts.received", "{alert}", "Alerts read from webhooks");
    private static readonly Counter<long> AlertsMatched = Meter.CreateCounter<long>("rollback.alerts.matched", "{alert}", "Alerts correlated to a live deploy");
    private static readonly Counter<long> AlertsUnmatched = Meter.CreateCounter<long>("rollback.alerts.unmatched", "{alert}", "Alerts that matched no live deploy");
    private static readonly Counter<long> RollbacksEnded = Meter.CreateCounter<long>("rollback.rollbacks", "{rollback}", "Rollbacks ended, by outcome");

    private static readonly Histogram<double> AlertToFirstRevert = Meter.CreateHistogram(
        "rollback.alert_to_first_revert", "s", "From the first alert (or the claim) to the first revert started",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 1, 2, 5, 10, 30, 60] });

    private static readonly Histogram<double> Duration = Meter.CreateHistogram(
        "rollback.duration", "s", "From the claim to the end of the rollback",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600] });

    /// <summary>One webhook's alerts: how many were read, correlated and not.</summary>
    public static void AlertsRead(string source, int received, int unmatched)
    {
        var tag = new KeyValuePair<string, object?>("source", source);
        AlertsReceived.Add(received, tag);
        AlertsMatched.Add(received - unmatched, tag);
        AlertsUnmatched.Add(unmatched, tag);
    }

    /// <summary>A rollback ended: its outcome, and its timings from its own record.</summary>
    public static void RollbackEnded(RollbackRecord head, IEnumerable<RollbackStepRecord> steps, RollbackPhase outcome, DateTimeOffset endedAt)
    {
        var tags = new TagList { { "outcome", outcome.ToString().ToLowerInvariant() }, { "trigger", head.Trigger.Kind } };
        RollbacksEnded.Add(1, tags);
        Duration.Record((endedAt - head.ClaimedAt).TotalSeconds, tags);
        var detected = head.Trigger.Alerts.Select(a => a.FirstReceivedAt).Where(t => t is not null).Min() ?? head.ClaimedAt;
        if (steps.Select(s => s.StartedAt).Where(t => t is not null).Min() is { } firstRevert)
        {
            AlertToFirstRevert.Record(Math.Max(0, (firstRevert - detected).TotalSeconds), tags);
        }
    }
}
