namespace RollbackFunctions.Core.Verification;

/// <summary>One series of an instant query.</summary>
public sealed record MetricSample(IReadOnlyDictionary<string, string> Labels, double Value);

/// <summary>
/// What a metric source answered. An empty sample list is a normal success meaning "no data";
/// <see cref="Error"/> is set only when the query failed.
/// </summary>
public sealed record MetricQueryResult(IReadOnlyList<MetricSample> Samples, string? Error)
{
    public static MetricQueryResult Failed(string error) => new([], error);
}

/// <summary>Runs instant queries against one metric backend.</summary>
public interface IMetricSource
{
    /// <summary>Source name as written in a check, e.g. <c>prometheus</c>.</summary>
    string Name { get; }

    /// <summary>Runs the query now. Failures are results, not exceptions.</summary>
    Task<MetricQueryResult> QueryAsync(string query, CancellationToken cancellationToken);
}
