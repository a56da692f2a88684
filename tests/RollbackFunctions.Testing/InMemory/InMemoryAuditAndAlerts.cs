using System.Collections.Concurrent;
using RollbackFunctions.Core.Alerts;
using RollbackFunctions.Core.Audit;
using RollbackFunctions.Core.Correlation;
using RollbackFunctions.Core.Ports;

namespace RollbackFunctions.Testing;

/// <summary>Audit rows in memory (no hashing: the Table audit log and its chain are tested on Azurite).</summary>
public sealed class InMemoryAuditLog : IAuditLog
{
    public ConcurrentQueue<AuditEntry> Entries { get; } = new();

    public Task<AuditRow> AppendAsync(AuditEntry entry, CancellationToken cancellationToken)
    {
        Entries.Enqueue(entry);
        return Task.FromResult(new AuditRow(Entries.Count, DateTimeOffset.UtcNow, entry.Actor, entry.Action, "", entry.Outcome, entry.Detail, "", ""));
    }

    public Task<AuditTrail> ReadAsync(string chain, CancellationToken cancellationToken) => throw new NotSupportedException();
}

/// <summary>Which alerts resolved, as a test sets it.</summary>
public sealed class InMemoryAlertLog : IAlertLog
{
    public ConcurrentDictionary<string, bool> Resolved { get; } = new();

    public Task<bool> RecordAsync(AlertSignal alert, CorrelationDecision decision, string? rollbackId, DateTimeOffset receivedAt, CancellationToken cancellationToken) =>
        Task.FromResult(true);

    public Task<FiringEpisode?> FiringEpisodeAsync(string dedupKey, CancellationToken cancellationToken) => Task.FromResult<FiringEpisode?>(null);

    public Task<IReadOnlyList<FiringAlert>> FiringForRollbackAsync(string rollbackId, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<FiringAlert>>([]);

    public Task<bool> IsResolvedAsync(string dedupKey, CancellationToken cancellationToken) => Task.FromResult(Resolved.ContainsKey(dedupKey));

    public ConcurrentBag<(string Service, string Environment, DateTimeOffset At)> Firing { get; } = [];

    public Task NoteFiringAsync(string service, string environment, DateTimeOffset at, CancellationToken cancellationToken)
    {
        Firing.Add((service, environment, at));
        return Task.CompletedTask;
    }

    public Task<int> CountFiringServicesAsync(string environment, DateTimeOffset since, CancellationToken cancellationToken) =>
        Task.FromResult(Firing.Where(f => f.Environment == environment && f.At >= since).Select(f => f.Service).Distinct().Count());
}
