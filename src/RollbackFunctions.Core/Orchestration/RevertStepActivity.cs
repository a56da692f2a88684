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
            (result, row) = await JudgedRevertAsync(executor, input, row, cancellationToken);
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

    /// <summary>How many times one attempt reads, judges and writes when the target keeps changing in between.</summary>
    private const int MaxReads = 3;

    /// <summary>
    /// Judges, then lets the executor write with the version it judged as its precondition. A target
    /// that changed in between refuses the write (nothing written): it is read and judged again, a
    /// bounded number of times, then the attempt fails as transient and the retry policy takes over.
    /// </summary>
    private async Task<(StepRevertResult Result, RollbackStepRecord Row)> JudgedRevertAsync(IStepExecutor executor, StepRevertRequest input, RollbackStepRecord row, CancellationToken cancellationToken)
    {
        for (var reads = 1; ; reads++)
        {
            var (decided, judged, version) = await JudgeAsync(executor, input, row, cancellationToken);
            row = judged;
            if (decided is not null)
            {
                return (decided, row);
            }

            try
            {
                var result = await executor.RevertAsync(input with { ObservedVersion = version }, cancellationToken);

                // The executor asked first and wrote nothing: the judgement is made again, from a
                // fresh read, once the answer comes, however long the wait (review item S1).
                return (result, result.Outcome == RevertOutcome.NeedsApproval ? row with { Judgement = null } : row);
            }
            catch (TargetChangedException changed)
            {
                OrchestrationLog.TargetChanged(logger, input.RollbackId, input.StepId, reads, changed.Message);
                row = row with { Judgement = null }; // nothing written: that judgement was for a state that is gone
                if (reads >= MaxReads)
                {
                    throw new StepUnavailableException($"{input.StepId}'s target changed between the read and the write {MaxReads} times: {changed.Message}", changed);
                }
            }
        }
    }

    /// <summary>
    /// The three-state rule before the executor writes anything: reads the target and returns the
    /// result when nothing may be written (unchanged, drift, unreadable), or null to go on with the
    /// version read. The decision, with the state it was made for, is stored on the row first.
    /// </summary>
    private async Task<(StepRevertResult? Result, RollbackStepRecord Row, string? Version)> JudgeAsync(IStepExecutor executor, StepRevertRequest input, RollbackStepRecord row, CancellationToken cancellationToken)
    {
        var observed = await executor.ObserveAsync(new StepObserveRequest(input.DeployId, input.StepId, input.Kind, input.Params) { Captured = input.Captured }, cancellationToken);
        if (observed.Problem is { } problem)
        {
            return observed.Transient
                ? throw new StepUnavailableException($"could not read {input.StepId}'s target before reverting it: {problem}")
                : (StepRevertResult.Failed($"could not read the target before reverting it: {problem}"), row, null);
        }

        if (observed.State is not { } current)
        {
            // Not observable: the executor judges inside its revert, an approved drift included.
            return (null, row, null);
        }

        var (judgement, why) = Rejudge(input, row, current);
        row = row with { Judgement = judgement, JudgedState = current.Fingerprint() };
        await rollbacks.PutStepAsync(input.RollbackId, row, cancellationToken);
        return judgement switch
        {
            RevertJudgement.Unchanged => (StepRevertResult.Unchanged($"nothing to revert: the target {why}"), row, null),
            RevertJudgement.Drift => (StepRevertResult.Drifted(why, row.JudgedState), row, null),
            _ => (null, row, observed.Version),
        };
    }

    /// <summary>
    /// The three-state rule, and what this rollback decided before: a restore decided earlier (it may
    /// have written before a crash) or a drift an operator approved holds only while the target holds
    /// exactly the state that decision was made for; anything since is drift again.
    /// </summary>
    private static (RevertJudgement Judgement, string Why) Rejudge(StepRevertRequest input, RollbackStepRecord row, TargetState current)
    {
        var (judgement, why) = ThreeStates.Judge(input.Before, input.After, current, input.MaybeApplied);
        var asJudged = row.JudgedState == current.Fingerprint();
        var holdsWhatTheDeployMade = input.After is not null && current.SameAs(input.After);
        if (row.Judgement == RevertJudgement.Restore)
        {
            return judgement == RevertJudgement.Unchanged
                ? (RevertJudgement.Restore, $"an earlier attempt of this rollback restored it ({why}); finishing that revert")
                : asJudged || holdsWhatTheDeployMade
                    ? (RevertJudgement.Restore, why)
                    : (RevertJudgement.Drift, $"drift: changed since this rollback judged it; {ThreeStates.Drift(input.Before!, input.After, current)["drift: ".Length..]}");
        }

        return input.OverrideDrift && judgement == RevertJudgement.Drift && asJudged
            ? (RevertJudgement.Restore, $"an operator approved restoring over this drift: {why}")
            : (judgement, why);
    }

    private static AuditEntry Entry(StepRevertRequest input, string action, string outcome, string detail) =>
        new(input.RollbackId, RollbackActors.System, action, new { input.StepId, input.Kind, input.Params, input.Captured, input.Approved }, outcome, detail);
}
