using RollbackFunctions.Core.Deploys;

namespace RollbackFunctions.Core.Ports;

/// <summary>Registered deploys.</summary>
public interface IDeployStore
{
    /// <summary>
    /// Inserts the record unless a deploy with its id exists. Returns the stored record and
    /// whether this call created it; the caller compares digests to tell a retry from a conflict.
    /// </summary>
    Task<(DeployRecord Stored, bool Created)> AddAsync(DeployRecord record, CancellationToken cancellationToken);

    /// <summary>The deploy, or null.</summary>
    Task<DeployRecord?> GetAsync(string deployId, CancellationToken cancellationToken);

    /// <summary>
    /// Deploys registered at or after <paramref name="registeredSince"/>, newest first, at most
    /// <paramref name="max"/>: what the ops page lists. A scan bounded by registration time.
    /// </summary>
    Task<IReadOnlyList<DeployRecord>> ListRecentAsync(DateTimeOffset registeredSince, int max, CancellationToken cancellationToken);

    /// <summary>
    /// Deploys registered in [<paramref name="from"/>, <paramref name="to"/>], of one service and one
    /// environment where given, at most <paramref name="max"/> (the newest): what the impact figures
    /// count. Found through an index by registration day, so the cost follows the deploys of the
    /// period, never the deploys stored.
    /// </summary>
    Task<IReadOnlyList<DeployRecord>> ListRegisteredAsync(DateTimeOffset from, DateTimeOffset to, string? service, string? environment, int max, CancellationToken cancellationToken);

    /// <summary>Deletes the deploys <see cref="DeployRecord.IsPrunable"/> before <paramref name="retainedSince"/>; returns how many.</summary>
    Task<int> PruneAsync(DateTimeOffset retainedSince, CancellationToken cancellationToken);

    /// <summary>
    /// How many of a service's most recent registrations in one environment correlation considers.
    /// An older deploy can only be a candidate if every newer one was rolled back (a newer deploy
    /// supersedes it otherwise), so twenty is far past anything real; it keeps the lookup's cost
    /// independent of how many deploys are stored.
    /// </summary>
    const int MaxCandidates = 20;

    /// <summary>
    /// The most recently registered deploys of a service in an environment, newest first, at most
    /// <see cref="MaxCandidates"/>; with <paramref name="lastNeeded"/>, none older than the first
    /// deploy it holds for (correlation stops at the deploy that supersedes every older one).
    /// </summary>
    Task<IReadOnlyList<DeployRecord>> FindAsync(string service, string environment, CancellationToken cancellationToken, Func<DeployRecord, bool>? lastNeeded = null);

    /// <summary>
    /// Applies <paramref name="change"/> under optimistic concurrency, re-reading and retrying when
    /// another writer got there first. <paramref name="change"/> returns null to leave the record as it is.
    /// Returns the record as stored afterwards, or null when the deploy does not exist.
    /// </summary>
    Task<DeployRecord?> UpdateAsync(string deployId, Func<DeployRecord, DeployRecord?> change, CancellationToken cancellationToken);
}
