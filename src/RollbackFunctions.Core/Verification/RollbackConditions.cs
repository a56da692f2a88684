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

    /// <summary>An SLO's error budget burning too fast (multiwindow, multi-burn-rate) instead of a fixed threshold.</summary>
    public BurnRateCheck? BurnRate { get; init; }

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
/// A canary judged against its baseline over the last <see cref="Samples"/> intervals: each side's
/// bad events divided by its own requests per interval (a canary at 10 % of the traffic is compared
/// by its error ratio, not hidden by its smaller rates), then a one-sided Mann-Whitney U test (is the
/// canary's ratio higher, at <see cref="Confidence"/>?) and an effect size (canary's ratio more than
/// <see cref="MaxRatio"/> times the baseline's and at least <see cref="MinDelta"/> above it). Both
/// must hold: significance without size flags a trivial difference, size without significance noise.
/// </summary>
public sealed record DivergenceCheck
{
    /// <summary>The canary's bad events per second, e.g. <c>sum(rate(http_requests_total{track="canary",code=~"5.."}[1m]))</c>.</summary>
    public string Canary { get; init; } = "";

    /// <summary>The canary's requests per second: the volume its bad events are divided by.</summary>
    public string CanaryRequests { get; init; } = "";

    public string Baseline { get; init; } = "";

    public string BaselineRequests { get; init; } = "";

    /// <summary>Intervals compared (default 10).</summary>
    public int Samples { get; init; } = DivergenceDefaults.Samples;

    /// <summary>Length of one interval (default 1 minute); at least the queries' rate window, so intervals do not overlap.</summary>
    public TimeSpan? Interval { get; init; }

    /// <summary>One minus the false-positive rate the U test allows (default 0.95).</summary>
    public double Confidence { get; init; } = DivergenceDefaults.Confidence;

    public double MaxRatio { get; init; } = 1.5;

    public double MinDelta { get; init; }

    /// <summary>Requests per second below which an interval of a side is not compared (default 1): too few requests say nothing.</summary>
    public double MinRequests { get; init; } = DivergenceDefaults.MinRequests;
}
