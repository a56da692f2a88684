using RollbackFunctions.Core.Verification;

namespace RollbackFunctions.Core.Ports;

/// <summary>A metric backend that also answers range queries (Prometheus): what a divergence check compares.</summary>
public interface IRangeMetricSource : IMetricSource
{
    /// <summary>
    /// The last <paramref name="points"/> values of the query, <paramref name="step"/> apart, the last
    /// at the latest multiple of the step, so queries sent together get the same timestamps.
    /// Failures are results, not exceptions.
    /// </summary>
    Task<MetricRangeResult> QueryRangeAsync(string query, int points, TimeSpan step, CancellationToken cancellationToken);
}
