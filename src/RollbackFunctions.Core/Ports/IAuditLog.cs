using RollbackFunctions.Core.Audit;

namespace RollbackFunctions.Core.Ports;

/// <summary>
/// Append-only audit trail. No code path updates or deletes a row; each chain's rows are
/// hash-linked so an edit or a deletion is detected.
/// </summary>
public interface IAuditLog
{
    Task<AuditRow> AppendAsync(AuditEntry entry, CancellationToken cancellationToken);

    Task<AuditTrail> ReadAsync(string chain, CancellationToken cancellationToken);
}
