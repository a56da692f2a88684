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
}

/// <summary>One metric check: a query and the threshold that makes it unhealthy.</summary>
public sealed record ConditionCheck
{
    public string Name { get; init; } = "";

    /// <summary>Metric source; <c>prometheus</c> is the one served today.</summary>
    public string Source { get; init; } = "prometheus";

    /// <summary>An instant query; every series it returns is compared with the threshold.</summary>
    public string Query { get; init; } = "";

    /// <summary>Unhealthy when any series is above this.</summary>
    public double? UnhealthyAbove { get; init; }

    /// <summary>Unhealthy when any series is below this.</summary>
    public double? UnhealthyBelow { get; init; }
}
