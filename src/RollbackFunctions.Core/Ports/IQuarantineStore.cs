using RollbackFunctions.Core.Quarantine;

namespace RollbackFunctions.Core.Ports;

/// <summary>Quarantined versions and artifacts, one entry per service, environment and subject.</summary>
public interface IQuarantineStore
{
    /// <summary>
    /// Stores the entry, replacing an older one for the same subject, except one from the same
    /// rollback: a completion retried after a crash must not undo an operator's release.
    /// </summary>
    Task AddAsync(QuarantineEntry entry, CancellationToken cancellationToken);

    /// <summary>Every entry of a service in an environment, whether it still holds or not.</summary>
    Task<IReadOnlyList<QuarantineEntry>> FindAsync(string service, string environment, CancellationToken cancellationToken);

    /// <summary>Every entry stored.</summary>
    Task<IReadOnlyList<QuarantineEntry>> ListAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Applies <paramref name="change"/> under optimistic concurrency (null leaves it as it is);
    /// returns the entry as stored afterwards, or null when there is none.
    /// </summary>
    Task<QuarantineEntry?> UpdateAsync(string service, string environment, QuarantineSubject subject, Func<QuarantineEntry, QuarantineEntry?> change, CancellationToken cancellationToken);
}
