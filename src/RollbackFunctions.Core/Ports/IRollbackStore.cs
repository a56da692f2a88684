using RollbackFunctions.Core.Rollbacks;
using RollbackFunctions.Core.Verification;

namespace RollbackFunctions.Core.Ports;

/// <summary>Rollback heads and per-step progress.</summary>
public interface IRollbackStore
{
    /// <summary>
    /// Conditional insert: true for exactly one caller per rollback id, however many race.
    /// This, not the durable engine, is what makes a rollback start once.
    /// </summary>
    Task<bool> TryClaimAsync(RollbackRecord record, CancellationToken cancellationToken);

    /// <summary>
    /// Takes over a claim whose orchestration was never scheduled (the claimer crashed between
    /// claim and schedule). True for at most one caller per stale claim.
    /// </summary>
    Task<bool> TryTakeOverStaleClaimAsync(string rollbackId, DateTimeOffset claimedBefore, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>
    /// Records a restart of a stalled rollback's orchestration: only while the rollback is not
    /// terminal and has been restarted exactly <paramref name="restartsSeen"/> times, so of many
    /// sweepers one restarts it. Sets <see cref="RollbackRecord.ScheduledAt"/> to <paramref name="at"/>.
    /// </summary>
    Task<bool> TryMarkRestartedAsync(string rollbackId, int restartsSeen, DateTimeOffset at, CancellationToken cancellationToken);

    Task<RollbackRecord?> GetAsync(string rollbackId, CancellationToken cancellationToken);

    Task MarkScheduledAsync(string rollbackId, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>
    /// Moves the rollback to <paramref name="phase"/> and adds it to the timeline; a terminal phase
    /// also sets the completion time and summary. A terminal rollback never changes phase again; with
    /// <paramref name="onlyFrom"/>, neither does one that has left that phase (<see cref="Rollbacks.RollbackRecord.MovedTo"/>).
    /// </summary>
    Task SetPhaseAsync(string rollbackId, RollbackPhase phase, string? summary, DateTimeOffset at, CancellationToken cancellationToken, RollbackPhase? onlyFrom = null);

    /// <summary>Writes one step's row, replacing what was there.</summary>
    Task PutStepAsync(string rollbackId, RollbackStepRecord step, CancellationToken cancellationToken);

    /// <summary>The step's row, or null.</summary>
    Task<RollbackStepRecord?> GetStepAsync(string rollbackId, string stepId, CancellationToken cancellationToken);

    /// <summary>Every step row, in plan order.</summary>
    Task<IReadOnlyList<RollbackStepRecord>> GetStepsAsync(string rollbackId, CancellationToken cancellationToken);

    /// <summary>Adds a verification sample; re-adding the same moment replaces it.</summary>
    Task AddSampleAsync(string rollbackId, VerificationSample sample, CancellationToken cancellationToken);

    /// <summary>Verification samples, oldest first.</summary>
    Task<IReadOnlyList<VerificationSample>> GetSamplesAsync(string rollbackId, CancellationToken cancellationToken);

    /// <summary>Counts one page delivered about the rollback, for the impact figures.</summary>
    Task CountPageAsync(string rollbackId, CancellationToken cancellationToken);

    /// <summary>Records the share of an error budget the incident consumed (<see cref="Rollbacks.RollbackRecord.BudgetSpent"/>).</summary>
    Task SetBudgetSpentAsync(string rollbackId, double spent, CancellationToken cancellationToken);

    /// <summary>
    /// Rollbacks first claimed in [<paramref name="from"/>, <paramref name="to"/>], newest first, at
    /// most <paramref name="max"/>. Found through an index by claim day, so the cost follows the
    /// rollbacks of the period, never the rollbacks stored.
    /// </summary>
    Task<IReadOnlyList<RollbackRecord>> ListClaimedAsync(DateTimeOffset from, DateTimeOffset to, int max, CancellationToken cancellationToken);

    /// <summary>Rollback heads, newest first; only those not yet terminal when <paramref name="activeOnly"/>.</summary>
    Task<IReadOnlyList<RollbackRecord>> ListAsync(bool activeOnly, CancellationToken cancellationToken);
}
