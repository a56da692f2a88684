namespace RollbackFunctions.Core.Alerts;

/// <summary>Where an alert came from.</summary>
public enum AlertSource
{
    Alertmanager,
    Datadog,
}

/// <summary>Whether an alert can trigger a rollback.</summary>
public enum AlertStatus
{
    /// <summary>Trouble now: triggers.</summary>
    Firing,

    /// <summary>Trouble over: recorded, used by verification.</summary>
    Resolved,

    /// <summary>Warn, no-data and similar transitions: recorded, never triggers.</summary>
    Informational,
}

/// <summary>
/// One alert, normalised from any source. Labels carry the correlation keys
/// (service, environment, cluster, ...).
/// </summary>
/// <param name="Source">The system that sent it.</param>
/// <param name="DedupKey">Stable across re-sends of the same alert episode (group key + fingerprint, or Datadog's alert cycle key).</param>
/// <param name="Name">Alert name or monitor title, for humans.</param>
/// <param name="Status">Firing, resolved or informational.</param>
/// <param name="Labels">Correlation labels.</param>
/// <param name="Annotations">Summary, description, runbook and the like.</param>
/// <param name="StartsAt">When the alert condition began.</param>
/// <param name="Link">Back-link to the source (generatorURL, Datadog link).</param>
public sealed record AlertSignal(
    AlertSource Source,
    string DedupKey,
    string Name,
    AlertStatus Status,
    IReadOnlyDictionary<string, string> Labels,
    IReadOnlyDictionary<string, string> Annotations,
    DateTimeOffset StartsAt,
    string? Link)
{
    /// <summary>
    /// When this episode was first received here, by our own clock, where known. An episode first
    /// received before a deploy was registered did not come from it; no clock skew applies.
    /// </summary>
    public DateTimeOffset? FirstReceivedAt { get; init; }

    /// <summary>The deploy this episode was matched to when first received, where known: re-sends stay with it.</summary>
    public string? EpisodeDeployId { get; init; }
}

/// <summary>What one webhook carried: the alerts that could be read, and why each other one could not.</summary>
/// <param name="Alerts">The readable alerts.</param>
/// <param name="Rejected">What was wrong with each unreadable one.</param>
/// <param name="Truncated">Alerts the sender left out (Alertmanager's <c>truncatedAlerts</c> under <c>max_alerts</c>).</param>
public sealed record AlertBatch(IReadOnlyList<AlertSignal> Alerts, IReadOnlyList<string> Rejected, int Truncated = 0);

/// <summary>A webhook body that could not be read; the message says what is wrong.</summary>
public sealed class AlertPayloadException(string message) : Exception(message);
