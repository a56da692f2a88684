using RollbackFunctions.Core.Verification;

namespace RollbackFunctions.Core.Ports;

/// <summary>Runs instant queries against one metric backend.</summary>
public interface IMetricSource
{
    /// <summary>Source name as written in a check, e.g. <c>prometheus</c>.</summary>
    string Name { get; }

    /// <summary>Runs the query now. Failures are results, not exceptions.</summary>
    Task<MetricQueryResult> QueryAsync(string query, CancellationToken cancellationToken);
}
