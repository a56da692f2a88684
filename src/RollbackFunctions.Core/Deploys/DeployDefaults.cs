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

    /// <summary>Most attempts of one step's revert, per deploy or configured.</summary>
    public const int MaxStepAttempts = 20;

    /// <summary>Most healthy samples in a row verification may ask for.</summary>
    public const int MaxRequiredHealthyChecks = 100;

    /// <summary>Most verification samples one rollback may take (verifyWindow / interval): they all live in its history.</summary>
    public const int MaxVerificationSamples = 1000;

    /// <summary>Longest service, environment, version or label value.</summary>
    public const int MaxTextLength = 256;

    /// <summary>Whether a registered duration is within <see cref="MinInterval"/> and <see cref="MaxWait"/>.</summary>
    public static bool IsWaitInRange(TimeSpan wait) => wait >= MinInterval && wait <= MaxWait;

    /// <summary>The message for a duration outside that range.</summary>
    public static string WaitRangeProblem { get; } = $"must be between {MinInterval} and {MaxWait}";
}
