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
    IRedactor redactor,
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

        if (row.Status == StepStatus.Unchanged)
        {
            return StepRevertResult.Unchanged(row.Detail);
        }

        row = row with { Status = StepStatus.Reverting, Attempts = row.Attempts + 1, StartedAt = row.StartedAt ?? clock.GetUtcNow() };
        // Both land before the executor acts; neither needs the other, so they go out together (a
        // level's reverts wait for these round trips).
        await Task.WhenAll(
            rollbacks.PutStepAsync(input.RollbackId, row, cancellationToken),
            audit.AppendAsync(Entry(input, AuditActions.StepStarted, $"attempt {row.Attempts}", $"{input.Kind} revert of {input.StepId}, attempt {row.Attempts}{ReturningTo(input.Captured)}"), cancellationToken));

        OrchestrationLog.StepStarted(logger, input.RollbackId, input.StepId, input.Kind, row.Attempts);
        var executor = executors.Find(input.Kind);
        StepRevertResult result;
        if (executor is null)
        {
            result = StepRevertResult.Failed($"no executor for step kind '{input.Kind}' in this deployment");
        }
        else
        {
            (result, row) = await JudgeAsync(executor, input, row, cancellationToken) switch
            {
                (null, var judged) => (await executor.RevertAsync(input, cancellationToken), judged),
                var (decided, judged) => (decided, judged),
            };
            if (result.Outcome == RevertOutcome.Unchanged && row.Judgement is null && row.Attempts > 1)
            {
                // An executor that judges for itself (terraform, git, webhook) cannot tell its own
                // earlier attempt from a target that never changed: an earlier attempt of this
                // rollback reached it, so it is not called unchanged.
                result = StepRevertResult.Reverted($"an earlier attempt of this rollback restored it; now: {result.Detail}");
            }
        }

        // One mask for every place the detail goes next: the store (replies, ops page, report), the log, the audit row, the page.
        result = result with { Detail = redactor.Redact(result.Detail) };

        var status = result.StepStatus;
        OrchestrationLog.StepFinished(logger, input.RollbackId, input.StepId, result.Outcome.ToString(), result.Detail);

        // The step's row, the deploy's record and the audit row are independent writes: written
        // together, the next level starts a few round trips sooner.
        await Task.WhenAll(
            rollbacks.PutStepAsync(
                input.RollbackId,
                row with { Status = status, FinishedAt = status == StepStatus.AwaitingApproval ? null : clock.GetUtcNow(), Detail = result.Detail, PlanDigest = result.PlanDigest },
                cancellationToken),
            status == StepStatus.AwaitingApproval
                ? Task.CompletedTask
                : (Task)deploys.UpdateAsync(input.DeployId, deploy => deploy.WithStepStatus(input.StepId, status, clock.GetUtcNow()), cancellationToken),
            audit.AppendAsync(Entry(input, AuditActions.StepFinished, result.Outcome.ToString(), result.Detail), cancellationToken));
        return result;
    }

    /// <summary>What the revert returns to, for the audit row a human reads: the summary, never captured values.</summary>
    private static string ReturningTo(System.Text.Json.Nodes.JsonObject? captured) =>
        captured is null ? "" : $"; returning to what was captured at registration: {CapturedSummary.Line(captured)}";

    /// <summary>
    /// The three-state rule before the executor writes anything: reads the target once and returns
    /// the result when nothing may be written (unchanged, drift, unreadable), or null to go on. The
    /// decision to restore is stored on the row first, so a retry after a crash restores on.
    /// </summary>
    private async Task<(StepRevertResult? Result, RollbackStepRecord Row)> JudgeAsync(IStepExecutor executor, StepRevertRequest input, RollbackStepRecord row, CancellationToken cancellationToken)
    {
        if (row.Judgement == RevertJudgement.Restore)
        {
            return (null, row);
        }

        if (input.OverrideDrift)
        {
            row = row with { Judgement = RevertJudgement.Restore };
            await rollbacks.PutStepAsync(input.RollbackId, row, cancellationToken);
            return (null, row);
        }

        var observed = await executor.ObserveAsync(new StepObserveRequest(input.DeployId, input.StepId, input.Kind, input.Params) { Captured = input.Captured }, cancellationToken);
        if (observed.Problem is { } problem)
        {
            return observed.Transient
                ? throw new StepUnavailableException($"could not read {input.StepId}'s target before reverting it: {problem}")
                : (StepRevertResult.Failed($"could not read the target before reverting it: {problem}"), row);
        }

        if (observed.State is not { } current)
        {
            return (null, row); // not observable: the executor judges inside its revert
        }

        var (judgement, why) = ThreeStates.Judge(input.Before, input.After, current, input.MaybeApplied);
        row = row with { Judgement = judgement };
        await rollbacks.PutStepAsync(input.RollbackId, row, cancellationToken);
        return judgement switch
        {
            RevertJudgement.Unchanged => (StepRevertResult.Unchanged($"nothing to revert: the target {why}"), row),
            RevertJudgement.Drift => (StepRevertResult.Drifted(why), row),
            _ => (null, row),
        };
    }

    private static AuditEntry Entry(StepRevertRequest input, string action, string outcome, string detail) =>
        new(input.RollbackId, RollbackActors.System, action, new { input.StepId, input.Kind, input.Params, input.Captured, input.Approved }, outcome, detail);
}
