namespace RollbackFunctions.Core.Verification;

/// <summary>One series of an instant query.</summary>
public sealed record MetricSample(IReadOnlyDictionary<string, string> Labels, double Value);

/// <summary>
/// What a metric source answered. An empty sample list is a normal success meaning "no data";
/// <see cref="Error"/> is set only when the query failed. <see cref="Warning"/> is set when the
/// source answered only in part (Prometheus and Thanos <c>warnings</c>: a store or shard did not
/// answer): such samples are inconclusive, neither health nor breach.
/// </summary>
public sealed record MetricQueryResult(IReadOnlyList<MetricSample> Samples, string? Error, string? Warning = null)
{
    public static MetricQueryResult Failed(string error) => new([], error);
}
