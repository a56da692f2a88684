namespace RollbackFunctions.Core.Watching;

/// <summary>Defaults and limits of watching a deploy.</summary>
public static class WatchDefaults
{
    /// <summary>Consecutive unhealthy samples that make a breach: one bad scrape is noise, two in a row is a signal.</summary>
    public const int FailureLimit = 2;

    /// <summary>Consecutive samples that cannot be evaluated before on-call hears about it.</summary>
    public const int ConsecutiveErrorLimit = 4;

    /// <summary>Most of either limit.</summary>
    public const int MaxLimit = 100;

    public static readonly TimeSpan WatchInterval = TimeSpan.FromSeconds(15);

    /// <summary>
    /// As fast as a 1 s scrape: faster only repeats the same data. Each check costs one query per
    /// interval per deploy (a 1 s interval: one query a second per check), so sources pay for speed.
    /// </summary>
    public static readonly TimeSpan MinWatchInterval = TimeSpan.FromSeconds(1);

    public static readonly TimeSpan MaxWatchInterval = TimeSpan.FromHours(1);
}
