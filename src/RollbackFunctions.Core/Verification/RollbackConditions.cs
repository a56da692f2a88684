namespace RollbackFunctions.Core.Verification;

/// <summary>
/// How a deploy's health is judged, registered by CI with the deploy. The same checks decide that
/// a rollback restored health.
/// </summary>
public sealed record RollbackConditions
{
    /// <summary>The checks; all must be healthy for a sample to be healthy.</summary>
    public List<ConditionCheck> Checks { get; init; } = [];

    /// <summary>Time between two samples during verification.</summary>
    public TimeSpan? Interval { get; init; }

    /// <summary>Consecutive healthy samples that prove recovery.</summary>
    public int? RequiredHealthyChecks { get; init; }

    /// <summary>How long verification may take before the rollback is declared not to have restored health.</summary>
    public TimeSpan? VerifyWindow { get; init; }

    /// <summary>What no data counts as.</summary>
    public NoDataPolicy? NoData { get; init; }

    /// <summary>Time between two samples of the watcher, from registration through the bake window.</summary>
    public TimeSpan? WatchInterval { get; init; }
}

/// <summary>One metric check: a query and the threshold that makes it unhealthy.</summary>
public sealed record ConditionCheck
{
    public string Name { get; init; } = "";

    /// <summary>Where the query runs: <c>prometheus</c>, <c>loki</c> (LogQL metric queries), <c>datadog</c>, <c>datadogLogs</c>.</summary>
    public string Source { get; init; } = "prometheus";

    /// <summary>An instant query; every series it returns is compared with the threshold.</summary>
    public string Query { get; init; } = "";

    /// <summary>A golden-signal template (<c>errorRatio</c>, <c>latencyP99</c>, <c>saturation</c>) that writes the query at registration.</summary>
    public string? Template { get; init; }

    /// <summary>Canary against baseline instead of a fixed threshold.</summary>
    public DivergenceCheck? Divergence { get; init; }

    /// <summary>Unhealthy samples since the watch began that make a breach (default 2), counted as Argo Rollouts' <c>failureLimit</c> is: not only in a row.</summary>
    public int? FailureLimit { get; init; }

    /// <summary>
    /// How much worse than its pre-deploy baseline a check already unhealthy before the deploy must
    /// get to count against the deploy, as a ratio (default 1.5).
    /// </summary>
    public double? BaselineTolerance { get; init; }

    /// <summary>
    /// For <c>errorRatio</c>: requests per second over the rate window below which a sample is
    /// inconclusive (default 1): three errors in five requests is not a signal.
    /// </summary>
    public double? MinRequests { get; init; }

    /// <summary>Consecutive samples that cannot be evaluated before on-call hears "cannot evaluate" (default 4); never a breach by itself.</summary>
    public int? ConsecutiveErrorLimit { get; init; }

    /// <summary>Watch and report, never roll back for this check: "would roll back" instead. Never decides verification either.</summary>
    public bool DryRun { get; init; }

    /// <summary>Unhealthy when any series is above this.</summary>
    public double? UnhealthyAbove { get; init; }

    /// <summary>Unhealthy when any series is below this.</summary>
    public double? UnhealthyBelow { get; init; }
}

/// <summary>
/// A canary judged against its baseline: unhealthy when the canary's value exceeds the baseline's
/// by more than <see cref="MaxRatio"/> times and by at least <see cref="MinDelta"/>, so a near-zero
/// baseline does not flap.
/// </summary>
public sealed record DivergenceCheck
{
    public string Canary { get; init; } = "";
    public string Baseline { get; init; } = "";
    public double MaxRatio { get; init; } = 1.5;
    public double MinDelta { get; init; }
}
