namespace RollbackFunctions.Core.Verification;

/// <summary>
/// What one health check says. Four values, not two: no data is not health (Argo Rollouts #1466,
/// Flagger "no values found"), and a failed query is not a failed service.
/// </summary>
public enum Verdict
{
    /// <summary>The check passed.</summary>
    Healthy,

    /// <summary>The check breached its threshold.</summary>
    Unhealthy,

    /// <summary>No data, or NaN: the source answered but said nothing usable.</summary>
    Inconclusive,

    /// <summary>The query itself failed (bad expression, source down, timeout).</summary>
    Error,
}

/// <summary>What an <see cref="Verdict.Inconclusive"/> result counts as.</summary>
public enum NoDataPolicy
{
    /// <summary>Neither healthy nor unhealthy: it breaks a run of healthy samples.</summary>
    Inconclusive,

    /// <summary>Treat no data as healthy (a service that gets no traffic after the rollback).</summary>
    Healthy,

    /// <summary>Treat no data as unhealthy.</summary>
    Unhealthy,
}
