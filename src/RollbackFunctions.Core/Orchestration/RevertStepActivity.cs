using Microsoft.DurableTask;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Executors;
using RollbackFunctions.Core.Ports;
using RollbackFunctions.Core.Rollbacks;

namespace RollbackFunctions.Core.Orchestration;

/// <summary>
/// Reverts one step through its executor and records the result on the rollback and the deploy.
/// A step already reverted is not reverted again, so a retried or replayed activity is harmless.
/// Expected failures come back as <see cref="RevertOutcome.Failed"/>; exceptions are left to the
/// Durable retry policy.
/// </summary>
public sealed class RevertStepActivity(
    StepExecutorCatalog executors,
    IRollbackStore rollbacks,
    IDeployStore deploys,
    TimeProvider clock) : TaskActivity<StepRevertRequest, StepRevertResult>
{
    public override Task<StepRevertResult> RunAsync(TaskActivityContext context, StepRevertRequest input) => ExecuteAsync(input, CancellationToken.None);

    public async Task<StepRevertResult> ExecuteAsync(StepRevertRequest input, CancellationToken cancellationToken)
    {
        var row = await rollbacks.GetStepAsync(input.RollbackId, input.StepId, cancellationToken)
            ?? new RollbackStepRecord(input.StepId, input.Kind, -1, StepStatus.Pending, 0, null, null, "");
        if (row.Status == StepStatus.Reverted)
        {
            return StepRevertResult.Reverted(row.Detail);
        }

        var started = clock.GetUtcNow();
        row = row with { Status = StepStatus.Reverting, Attempts = row.Attempts + 1, StartedAt = row.StartedAt ?? started };
        await rollbacks.PutStepAsync(input.RollbackId, row, cancellationToken);

        var executor = executors.Find(input.Kind);
        var result = executor is null
            ? StepRevertResult.Failed($"no executor for step kind '{input.Kind}' in this deployment")
            : await executor.RevertAsync(input, cancellationToken);

        var status = result.Outcome == RevertOutcome.Reverted ? StepStatus.Reverted : StepStatus.RevertFailed;
        await rollbacks.PutStepAsync(input.RollbackId, row with { Status = status, FinishedAt = clock.GetUtcNow(), Detail = result.Detail }, cancellationToken);
        await deploys.UpdateAsync(input.DeployId, deploy => deploy.WithStepStatus(input.StepId, status, clock.GetUtcNow()), cancellationToken);
        return result;
    }
}
