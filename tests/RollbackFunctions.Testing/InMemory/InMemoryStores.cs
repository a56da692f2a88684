using System.Collections.Concurrent;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Ports;
using RollbackFunctions.Core.Quarantine;
using RollbackFunctions.Core.Rollbacks;
using RollbackFunctions.Core.Verification;

namespace RollbackFunctions.Testing;

/// <summary>Deploys in memory, for orchestration tests; the Table store has its own tests on Azurite.</summary>
public sealed class InMemoryDeployStore : IDeployStore
{
    private readonly ConcurrentDictionary<string, DeployRecord> deploys = new();
    private readonly Lock gate = new();

    public Task<(DeployRecord Stored, bool Created)> AddAsync(DeployRecord record, CancellationToken cancellationToken)
    {
        var created = deploys.TryAdd(record.DeployId, record);
        return Task.FromResult((deploys[record.DeployId], created));
    }

    public Task<DeployRecord?> GetAsync(string deployId, CancellationToken cancellationToken) =>
        Task.FromResult(deploys.GetValueOrDefault(deployId));

    public Task<IReadOnlyList<DeployRecord>> FindAsync(string service, string environment, CancellationToken cancellationToken, Func<DeployRecord, bool>? lastNeeded = null)
    {
        var newestFirst = deploys.Values.Where(d => d.Service == service && d.Environment == environment)
            .OrderByDescending(d => d.RegisteredAt).Take(IDeployStore.MaxCandidates).ToList();
        var last = lastNeeded is null ? -1 : newestFirst.FindIndex(d => lastNeeded(d));
        return Task.FromResult<IReadOnlyList<DeployRecord>>(last < 0 ? newestFirst : newestFirst.Take(last + 1).ToList());
    }

    public Task<IReadOnlyList<DeployRecord>> ListRecentAsync(DateTimeOffset registeredSince, int max, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<DeployRecord>>(deploys.Values.Where(d => d.RegisteredAt >= registeredSince)
            .OrderByDescending(d => d.RegisteredAt).ThenBy(d => d.DeployId, StringComparer.Ordinal).Take(max).ToList());

    public Task<IReadOnlyList<DeployRecord>> ListRegisteredAsync(DateTimeOffset from, DateTimeOffset to, string? service, string? environment, int max, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<DeployRecord>>(deploys.Values
            .Where(d => d.RegisteredAt >= from && d.RegisteredAt <= to && (service is null || d.Service == service) && (environment is null || d.Environment == environment))
            .OrderByDescending(d => d.RegisteredAt).ThenBy(d => d.DeployId, StringComparer.Ordinal).Take(max).ToList());

    public Task<int> PruneAsync(DateTimeOffset retainedSince, CancellationToken cancellationToken) =>
        Task.FromResult(deploys.Values.Where(d => d.IsPrunable(retainedSince)).Count(d => deploys.TryRemove(d.DeployId, out _)));

    public Task<DeployRecord?> UpdateAsync(string deployId, Func<DeployRecord, DeployRecord?> change, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            if (!deploys.TryGetValue(deployId, out var current))
            {
                return Task.FromResult<DeployRecord?>(null);
            }

            var changed = change(current) ?? current;
            deploys[deployId] = changed;
            return Task.FromResult<DeployRecord?>(changed);
        }
    }
}

/// <summary>Rollbacks in memory, for orchestration tests; held to the same contract tests as the Table store.</summary>
public sealed class InMemoryRollbackStore : IRollbackStore
{
    private readonly ConcurrentDictionary<string, RollbackRecord> heads = new();
    private readonly ConcurrentDictionary<(string, string), RollbackStepRecord> steps = new();
    private readonly ConcurrentDictionary<(string, long), VerificationSample> samples = new();
    private readonly Lock gate = new();

    public Task<bool> TryClaimAsync(RollbackRecord record, CancellationToken cancellationToken) =>
        Task.FromResult(heads.TryAdd(record.RollbackId, record));

    public Task<bool> TryTakeOverStaleClaimAsync(string rollbackId, DateTimeOffset claimedBefore, DateTimeOffset now, CancellationToken cancellationToken) =>
        Task.FromResult(Change(rollbackId, head => head.ScheduledAt is null && head.ClaimedAt < claimedBefore ? head with { ClaimedAt = now } : null));

    public Task<bool> TryMarkRestartedAsync(string rollbackId, int restartsSeen, DateTimeOffset at, CancellationToken cancellationToken) =>
        Task.FromResult(Change(rollbackId, head => !head.Phase.IsTerminal() && head.Restarts == restartsSeen ? head with { Restarts = restartsSeen + 1, ScheduledAt = at } : null));

    public Task<RollbackRecord?> GetAsync(string rollbackId, CancellationToken cancellationToken) =>
        Task.FromResult(heads.GetValueOrDefault(rollbackId));

    public Task MarkScheduledAsync(string rollbackId, DateTimeOffset at, CancellationToken cancellationToken)
    {
        Change(rollbackId, head => head.ScheduledAt is null ? head with { ScheduledAt = at } : null);
        return Task.CompletedTask;
    }

    /// <summary>Runs before a phase is stored: a test delays one phase's write with it, as a loaded activity worker would.</summary>
    public Func<RollbackPhase, Task> BeforePhase { get; set; } = _ => Task.CompletedTask;

    public async Task SetPhaseAsync(string rollbackId, RollbackPhase phase, string? summary, DateTimeOffset at, CancellationToken cancellationToken, RollbackPhase? onlyFrom = null)
    {
        await BeforePhase(phase);
        Change(rollbackId, head => head.MovedTo(phase, summary, at, onlyFrom));
    }

    /// <summary>Runs before a step's row is stored: a test delays one write with it, as a loaded activity worker would.</summary>
    public Func<RollbackStepRecord, Task> BeforeStep { get; set; } = _ => Task.CompletedTask;

    public async Task PutStepAsync(string rollbackId, RollbackStepRecord step, CancellationToken cancellationToken)
    {
        await BeforeStep(step);
        steps[(rollbackId, step.StepId)] = step;
    }

    public Task<RollbackStepRecord?> GetStepAsync(string rollbackId, string stepId, CancellationToken cancellationToken) =>
        Task.FromResult(steps.GetValueOrDefault((rollbackId, stepId)));

    public Task<IReadOnlyList<RollbackStepRecord>> GetStepsAsync(string rollbackId, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<RollbackStepRecord>>(steps.Where(s => s.Key.Item1 == rollbackId).Select(s => s.Value)
            .OrderBy(s => s.Level < 0 ? int.MaxValue : s.Level).ThenBy(s => s.StepId, StringComparer.Ordinal).ToList());

    public Task AddSampleAsync(string rollbackId, VerificationSample sample, CancellationToken cancellationToken)
    {
        samples[(rollbackId, sample.At.UtcTicks)] = sample;
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<VerificationSample>> GetSamplesAsync(string rollbackId, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<VerificationSample>>(samples.Where(s => s.Key.Item1 == rollbackId).OrderBy(s => s.Key.Item2).Select(s => s.Value).ToList());

    public Task CountPageAsync(string rollbackId, CancellationToken cancellationToken)
    {
        Change(rollbackId, head => head with { PagesSent = head.PagesSent + 1 });
        return Task.CompletedTask;
    }

    public Task SetBudgetSpentAsync(string rollbackId, double spent, CancellationToken cancellationToken)
    {
        Change(rollbackId, head => head with { BudgetSpent = spent });
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<RollbackRecord>> ListClaimedAsync(DateTimeOffset from, DateTimeOffset to, int max, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<RollbackRecord>>(heads.Values.Where(h => h.FirstClaimedAt() >= from && h.FirstClaimedAt() <= to)
            .OrderByDescending(h => h.FirstClaimedAt()).Take(max).ToList());

    public Task<IReadOnlyList<RollbackRecord>> ListAsync(bool activeOnly, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<RollbackRecord>>(heads.Values.Where(h => !activeOnly || !h.Phase.IsTerminal()).OrderByDescending(h => h.ClaimedAt).ToList());

    /// <summary>Applies a change to a head atomically, as the Table store does with ETags; true when something changed.</summary>
    private bool Change(string rollbackId, Func<RollbackRecord, RollbackRecord?> change)
    {
        lock (gate)
        {
            if (!heads.TryGetValue(rollbackId, out var head) || change(head) is not { } changed)
            {
                return false;
            }

            heads[rollbackId] = changed;
            return true;
        }
    }
}

/// <summary>Quarantine entries in memory; held to the same contract tests as the Table store.</summary>
public sealed class InMemoryQuarantineStore : IQuarantineStore
{
    private readonly Dictionary<(string, string, QuarantineSubject), QuarantineEntry> entries = [];
    private readonly Lock gate = new();

    public Task AddAsync(QuarantineEntry entry, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            var key = (entry.Service, entry.Environment, entry.Subject);
            if (!entries.TryGetValue(key, out var stored) || stored.RollbackId != entry.RollbackId)
            {
                entries[key] = entry;
            }
        }

        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<QuarantineEntry>> FindAsync(string service, string environment, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            return Task.FromResult<IReadOnlyList<QuarantineEntry>>(entries.Values.Where(e => e.Service == service && e.Environment == environment).ToList());
        }
    }

    public Task<IReadOnlyList<QuarantineEntry>> ListAsync(CancellationToken cancellationToken)
    {
        lock (gate)
        {
            return Task.FromResult<IReadOnlyList<QuarantineEntry>>(entries.Values.ToList());
        }
    }

    public Task<QuarantineEntry?> UpdateAsync(string service, string environment, QuarantineSubject subject, Func<QuarantineEntry, QuarantineEntry?> change, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            if (!entries.TryGetValue((service, environment, subject), out var stored))
            {
                return Task.FromResult<QuarantineEntry?>(null);
            }

            var changed = change(stored) ?? stored;
            entries[(service, environment, subject)] = changed;
            return Task.FromResult<QuarantineEntry?>(changed);
        }
    }
}
