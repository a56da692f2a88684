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
