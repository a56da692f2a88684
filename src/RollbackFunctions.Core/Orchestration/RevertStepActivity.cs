using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;
using RollbackFunctions.Core.Audit;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Executors;
using RollbackFunctions.Core.Ports;
using RollbackFunctions.Core.Rollbacks;

namespace RollbackFunctions.Core.Orchestration;

/// <summary>
/// Reverts one step through its executor and records the result on the rollback and the deploy.
/// A step already reverted is not reverted again, so a retried or replayed activity is harmless.
/// Expected failures come back as outcomes; exceptions are left to the Durable retry policy.
/// </summary>
public sealed class RevertStepActivity(
    StepExecutorCatalog executors,
    IRollbackStore rollbacks,
    IDeployStore deploys,
    IAuditLog audit,
    TimeProvider clock,
    ILogger<RevertStepActivity> logger) : TaskActivity<StepRevertRequest, StepRevertResult>
{
    public override Task<StepRevertResult> RunAsync(TaskActivityContext context, StepRevertRequest input) => ExecuteAsync(input, CancellationToken.None);

    public async Task<StepRevertResult> ExecuteAsync(StepRevertRequest input, CancellationToken cancellationToken)
    {
        var row = await rollbacks.GetStepAsync(input.RollbackId, input.StepId, cancellationToken)
            ?? new RollbackStepRecord(input.StepId, input.Kind, input.Level, StepStatus.Pending, 0, null, null, "");
        if (row.Status == StepStatus.Reverted)
        {
            return StepRevertResult.Reverted(row.Detail);
        }

        row = row with { Status = StepStatus.Reverting, Attempts = row.Attempts + 1, StartedAt = row.StartedAt ?? clock.GetUtcNow() };
        // Both land before the executor acts; neither needs the other, so they go out together (a
        // level's reverts wait for these round trips).
        await Task.WhenAll(
            rollbacks.PutStepAsync(input.RollbackId, row, cancellationToken),
            audit.AppendAsync(Entry(input, AuditActions.StepStarted, $"attempt {row.Attempts}", $"{input.Kind} revert of {input.StepId}, attempt {row.Attempts}{CapturedSummary(input.Captured)}"), cancellationToken));

        OrchestrationLog.StepStarted(logger, input.RollbackId, input.StepId, input.Kind, row.Attempts);
        var executor = executors.Find(input.Kind);
        var result = executor is null
            ? StepRevertResult.Failed($"no executor for step kind '{input.Kind}' in this deployment")
            : await executor.RevertAsync(input, cancellationToken);

        var status = result.StepStatus;
        OrchestrationLog.StepFinished(logger, input.RollbackId, input.StepId, result.Outcome.ToString(), result.Detail);

        // The step's row, the deploy's record and the audit row are independent writes: written
        // together, the next level starts a few round trips sooner.
        await Task.WhenAll(
            rollbacks.PutStepAsync(
                input.RollbackId,
                row with { Status = status, FinishedAt = status == StepStatus.AwaitingApproval ? null : clock.GetUtcNow(), Detail = result.Detail },
                cancellationToken),
            status == StepStatus.AwaitingApproval
                ? Task.CompletedTask
                : (Task)deploys.UpdateAsync(input.DeployId, deploy => deploy.WithStepStatus(input.StepId, status, clock.GetUtcNow()), cancellationToken),
            audit.AppendAsync(Entry(input, AuditActions.StepFinished, result.Outcome.ToString(), result.Detail), cancellationToken));
        return result;
    }

    /// <summary>What the revert returns to, for the audit row a human reads; whole templates are left out.</summary>
    private static string CapturedSummary(System.Text.Json.Nodes.JsonObject? captured)
    {
        if (captured is null)
        {
            return "";
        }

        var shown = captured.Where(pair => pair.Key != "template").Select(pair => $"{pair.Key}={pair.Value?.ToJsonString()}");
        var text = string.Join(", ", shown);
        return $"; returning to what was captured at registration: {(text.Length <= 400 ? text : text[..400] + "…")}";
    }

    private static AuditEntry Entry(StepRevertRequest input, string action, string outcome, string detail) =>
        new(input.RollbackId, RollbackActors.System, action, new { input.StepId, input.Kind, input.Params, input.Captured, input.Approved }, outcome, detail);
}
