namespace RollbackFunctions.Core.Deploys;

/// <summary>Defaults and limits of deploy registration.</summary>
public static class DeployDefaults
{
    /// <summary>Bake window when CI does not say.</summary>
    public const int WatchMinutes = 30;

    /// <summary>A week: longer than any bake window anyone asked for, short enough to catch typos.</summary>
    public const int MaxWatchMinutes = 7 * 24 * 60;

    /// <summary>More steps than this is a generated graph gone wrong, not a deploy.</summary>
    public const int MaxSteps = 200;

    /// <summary>Shortest verification interval: faster sampling than Prometheus scrapes only repeats itself.</summary>
    public static readonly TimeSpan MinInterval = TimeSpan.FromSeconds(1);

    /// <summary>Longest a rollback may wait on one thing (a deadline, an approval, verification).</summary>
    public static readonly TimeSpan MaxWait = TimeSpan.FromHours(24);
}
