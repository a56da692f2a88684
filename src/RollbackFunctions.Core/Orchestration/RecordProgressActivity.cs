using Microsoft.DurableTask;
using RollbackFunctions.Core.Ports;
using RollbackFunctions.Core.Rollbacks;

namespace RollbackFunctions.Core.Orchestration;

/// <summary>A phase change and/or step rows to write.</summary>
public sealed record ProgressUpdate(string RollbackId, RollbackPhase? Phase, IReadOnlyList<RollbackStepRecord> Steps, string? Summary = null);

/// <summary>Writes rollback progress for the status endpoint. Idempotent: rows are replaced, not appended.</summary>
public sealed class RecordProgressActivity(IRollbackStore rollbacks, TimeProvider clock) : TaskActivity<ProgressUpdate, bool>
{
    public override Task<bool> RunAsync(TaskActivityContext context, ProgressUpdate input) => ExecuteAsync(input, CancellationToken.None);

    public async Task<bool> ExecuteAsync(ProgressUpdate input, CancellationToken cancellationToken)
    {
        foreach (var step in input.Steps)
        {
            await rollbacks.PutStepAsync(input.RollbackId, step, cancellationToken);
        }

        if (input.Phase is { } phase)
        {
            await rollbacks.SetPhaseAsync(input.RollbackId, phase, input.Summary, clock.GetUtcNow(), cancellationToken);
        }

        return true;
    }
}
