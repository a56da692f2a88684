namespace RollbackFunctions.Core.Verification;

/// <summary>One value of a series at one moment.</summary>
public sealed record MetricPoint(DateTimeOffset At, double Value);

/// <summary>One series of a range query.</summary>
public sealed record MetricSeries(IReadOnlyDictionary<string, string> Labels, IReadOnlyList<MetricPoint> Points);

/// <summary>
/// What a range query answered: series of points, no series meaning no data; <see cref="Error"/>
/// when the query failed and <see cref="Warning"/> when the source says its answer is partial.
/// </summary>
public sealed record MetricRangeResult(IReadOnlyList<MetricSeries> Series, string? Error, string? Warning = null)
{
    public static MetricRangeResult Failed(string error) => new([], error);
}
