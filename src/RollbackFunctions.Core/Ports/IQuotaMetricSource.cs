namespace RollbackFunctions.Core.Ports;

/// <summary>
/// A metric backend whose API allows only so many calls per account (Datadog: a few hundred queries
/// an hour per organisation), so the checks one deploy may run on it are capped at registration
/// instead of every deploy's watcher running into the rate limit mid-incident.
/// </summary>
public interface IQuotaMetricSource : IMetricSource
{
    /// <summary>Sources drawing on one limit share this name (<c>datadog</c> and <c>datadogLogs</c>: <c>Datadog</c>).</summary>
    string Quota { get; }

    /// <summary>Most checks of one deploy on this quota.</summary>
    int MaxChecksPerDeploy { get; }

    /// <summary>The setting that changes it, for the reason given at registration.</summary>
    string MaxChecksSetting { get; }
}
