using Microsoft.DurableTask;
using RollbackFunctions.Core.Audit;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Ports;
using RollbackFunctions.Core.Rollbacks;

namespace RollbackFunctions.Core.Orchestration;

/// <summary>An action the orchestration decided on, to be written to the audit trail.</summary>
public sealed record AuditNote(string Actor, string Action, string Outcome, string Detail);

/// <summary>A phase change, step rows and audit notes to write.</summary>
public sealed record ProgressUpdate(
    string RollbackId,
    RollbackPhase? Phase,
    IReadOnlyList<RollbackStepRecord> Steps,
    string? Note = null,
    IReadOnlyList<AuditNote>? Audit = null)
{
    /// <summary>When set, the phase is written only over this one (a write that may land after a later one).</summary>
    public RollbackPhase? PhaseOnlyFrom { get; init; }
}

/// <summary>
/// Writes what the orchestration decided: step rows for the status endpoint, the phase and its
/// timeline entry, audit rows. Rows are replaced, not appended, so a retry is harmless; a retry
/// may add an audit row twice, which records that it happened.
/// </summary>
public sealed class RecordProgressActivity(IRollbackStore rollbacks, IAuditLog audit, TimeProvider clock) : TaskActivity<ProgressUpdate, bool>
{
    public override Task<bool> RunAsync(TaskActivityContext context, ProgressUpdate input) => ExecuteAsync(input, CancellationToken.None);

    public async Task<bool> ExecuteAsync(ProgressUpdate input, CancellationToken cancellationToken)
    {
        foreach (var step in input.Steps)
        {
            await rollbacks.PutStepAsync(input.RollbackId, Merged(step, await rollbacks.GetStepAsync(input.RollbackId, step.StepId, cancellationToken)), cancellationToken);
        }

        foreach (var note in input.Audit ?? [])
        {
            await audit.AppendAsync(new AuditEntry(input.RollbackId, note.Actor, note.Action, null, note.Outcome, note.Detail), cancellationToken);
        }

        if (input.Phase is { } phase)
        {
            await rollbacks.SetPhaseAsync(input.RollbackId, phase, input.Note, clock.GetUtcNow(), cancellationToken, input.PhaseOnlyFrom);
            await audit.AppendAsync(new AuditEntry(input.RollbackId, RollbackActors.System, AuditActions.PhaseChanged, null, phase.ToString(), input.Note ?? ""), cancellationToken);
        }

        return true;
    }

    /// <summary>
    /// The orchestration decides a step's status and detail; how often it ran and when come from the
    /// revert activity's own writes, so they are kept, and a decided status gets its finish time.
    /// A planned row never replaces one that has moved on: a restarted rollback plans its reverted
    /// steps again, and they stay reverted.
    /// </summary>
    private RollbackStepRecord Merged(RollbackStepRecord decided, RollbackStepRecord? existing)
    {
        if (decided.Status == StepStatus.Pending && existing is { Status: not StepStatus.Pending })
        {
            return existing;
        }

        var open = decided.Status is StepStatus.Pending or StepStatus.Reverting or StepStatus.AwaitingApproval;
        return decided with
        {
            Attempts = Math.Max(decided.Attempts, existing?.Attempts ?? 0),
            StartedAt = decided.StartedAt ?? existing?.StartedAt,
            FinishedAt = decided.FinishedAt ?? (open ? null : clock.GetUtcNow()),
            Judgement = decided.Judgement ?? existing?.Judgement,
            JudgedState = decided.JudgedState ?? existing?.JudgedState,
        };
    }
}
