using RollbackFunctions.Core.Alerts;
using RollbackFunctions.Core.Correlation;

namespace RollbackFunctions.Core.Ports;

/// <summary>
/// An alert episode seen before: when it was first received here, the deploy it was matched to and
/// the rollback it started or joined, if any. Once a rollback is named, a re-send changes nothing but
/// the episode's count: the intake answers it without correlating again.
/// </summary>
public sealed record FiringEpisode(DateTimeOffset FirstReceivedAt, string? DeployId, string? RollbackId = null);

/// <summary>A firing episode recorded against a rollback.</summary>
public sealed record FiringAlert(string DedupKey, string Name);

/// <summary>Every alert received, matched or not, with the decision taken on it.</summary>
public interface IAlertLog
{
    /// <summary>
    /// Records the alert. Idempotent per dedup key and status: a re-send updates the last-seen time
    /// and count. True when this was the first receipt.
    /// </summary>
    Task<bool> RecordAsync(AlertSignal alert, CorrelationDecision decision, string? rollbackId, DateTimeOffset receivedAt, CancellationToken cancellationToken);

    /// <summary>What is known of a firing episode (one dedup key) from earlier notifications, or null for a new one.</summary>
    Task<FiringEpisode?> FiringEpisodeAsync(string dedupKey, CancellationToken cancellationToken);

    /// <summary>Notes that <paramref name="service"/> fired in <paramref name="environment"/> (an alert or a watcher breach), for the mass-alert guard.</summary>
    Task NoteFiringAsync(string service, string environment, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>How many distinct services were noted firing in <paramref name="environment"/> since <paramref name="since"/>, to the minute.</summary>
    Task<int> CountFiringServicesAsync(string environment, DateTimeOffset since, CancellationToken cancellationToken);

    /// <summary>
    /// Every firing episode recorded against <paramref name="rollbackId"/> (the trigger and any that
    /// matched its deploy since, a re-fire included): verification by alerts needs each to resolve.
    /// </summary>
    Task<IReadOnlyList<FiringAlert>> FiringForRollbackAsync(string rollbackId, CancellationToken cancellationToken);

    /// <summary>Whether a resolved notification arrived for the alert with this dedup key.</summary>
    Task<bool> IsResolvedAsync(string dedupKey, CancellationToken cancellationToken);
}
