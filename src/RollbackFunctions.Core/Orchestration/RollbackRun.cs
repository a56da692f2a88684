using Microsoft.DurableTask;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Notifications;
using RollbackFunctions.Core.Planning;
using RollbackFunctions.Core.Rollbacks;

namespace RollbackFunctions.Core.Orchestration;

/// <summary>One execution of <see cref="RollbackOrchestrator"/>: its state and the phases in order.</summary>
internal sealed partial class RollbackRun(TaskOrchestrationContext context, RollbackRequest input)
{
    private readonly Dictionary<string, StepStatus> statuses = [];
    private Task<OperatorDecision> abortSignal = Task.FromResult(new OperatorDecision(false, "", null));
    private DeployRecord deploy = null!;
    private StepGraph graph = null!;

    private bool Aborted => abortSignal.IsCompleted;

    /// <summary>
    /// Retry of the bookkeeping activities, which only touch storage: its SDK retries fast faults,
    /// this covers a longer outage (5 attempts on the step retry's backoff).
    /// </summary>
    private TaskOptions Bookkeeping => TaskOptions.FromRetryPolicy(new RetryPolicy(5, input.Settings.StepFirstRetryInterval, input.Settings.StepBackoffCoefficient));

    private string What => $"{deploy.Service} {deploy.Version} in {deploy.Environment}";

    public async Task<RollbackResult> ExecuteAsync()
    {
        abortSignal = context.WaitForExternalEvent<OperatorDecision>(RollbackEvents.Abort);
        try
        {
            return await RollBackAsync();
        }
        catch (TaskFailedException e)
        {
            // An activity failed beyond its retries (storage down, a bug): still end the rollback
            // visibly, with a page, rather than leave it looking in progress forever.
            return await FinishAsync(RollbackPhase.Failed, $"rollback of {input.DeployId} failed unexpectedly ({e.FailureDetails.ErrorMessage}); manual intervention needed; {Tally()}", PageKind.RollbackFailed);
        }
    }

    private async Task<RollbackResult> RollBackAsync()
    {
        deploy = await context.CallActivityAsync<DeployRecord>(nameof(HaltDeployActivity), new HaltRequest(input.RollbackId, input.DeployId), Bookkeeping);
        graph = ReversePlanner.GraphOf(deploy.Steps);
        var plan = ReversePlanner.Plan(deploy.Steps);
        foreach (var skipped in plan.Skipped)
        {
            statuses[skipped] = StepStatus.Skipped;
        }

        await ProgressAsync(RollbackPhase.Paging, PlannedRows(plan, deploy.Steps), "deploy halted; paging on-call");
        var order = string.Join(" -> ", plan.Levels.Select(level => string.Join(" + ", level)));
        await PageAsync(PageKind.RollbackStarted, $"rollback of {What} in progress: reverting {order}");

        await ProgressAsync(RollbackPhase.RollingBack, [], $"reverting {plan.InOrder.Count()} step(s)");
        for (var level = 0; level < plan.Levels.Count; level++)
        {
            var index = level;
            await Task.WhenAll(plan.Levels[level].Select(stepId => RunStepAsync(deploy.Steps.Single(s => s.Id == stepId), index)));
        }

        if (Aborted)
        {
            return await FinishAsync(RollbackPhase.Aborted, $"rollback of {What} aborted by {abortSignal.Result.Actor}: {abortSignal.Result.Reason}; {Tally()}", PageKind.RollbackAborted);
        }

        if (statuses.Values.Any(s => s.LeftUnreverted()))
        {
            return await FinishAsync(RollbackPhase.Failed, $"rollback of {What} incomplete, manual intervention needed: {Tally()}", PageKind.RollbackFailed);
        }

        var (healthy, evidence) = await VerifyAsync();
        if (Aborted)
        {
            return await FinishAsync(RollbackPhase.Aborted, $"rollback of {What} aborted during verification by {abortSignal.Result.Actor}; {Tally()}", PageKind.RollbackAborted);
        }

        return healthy
            ? await FinishAsync(RollbackPhase.Succeeded, $"rollback of {What} succeeded: {Tally()}; {evidence}", PageKind.RollbackSucceeded)
            : await FinishAsync(RollbackPhase.Failed, $"rollback of {What} did not restore health: {evidence}; {Tally()}", PageKind.RollbackFailed);
    }

    private async Task<RollbackResult> FinishAsync(RollbackPhase phase, string summary, PageKind page)
    {
        await context.CallActivityAsync<bool>(
            nameof(CompleteRollbackActivity),
            new CompletionRequest(input.RollbackId, input.DeployId, phase, summary, statuses),
            Bookkeeping);
        await PageAsync(page, summary);
        return new RollbackResult(input.RollbackId, phase, summary, statuses);
    }

    /// <summary>
    /// Pages and waits for delivery at most <see cref="RollbackSettings.PageWaitLimit"/>: on-call hears
    /// first in the normal case, and a slow or broken pager never holds the rollback back.
    /// </summary>
    private async Task PageAsync(PageKind kind, string summary)
    {
        var page = context.CallActivityAsync<IReadOnlyList<ChannelOutcome>>(nameof(SendPageActivity), new PageRequest(input.RollbackId, kind, summary));
        using var cancel = new CancellationTokenSource();
        var limit = TimerAsync(input.Settings.PageWaitLimit, cancel.Token);
        if (await Task.WhenAny(page, limit) == page)
        {
            cancel.Cancel();
        }
    }

    private Task ProgressAsync(RollbackPhase? phase, IReadOnlyList<RollbackStepRecord> steps, string? note = null, params AuditNote[] audit) =>
        context.CallActivityAsync<bool>(nameof(RecordProgressActivity), new ProgressUpdate(input.RollbackId, phase, steps, note, audit), Bookkeeping);

    /// <summary>What was and was not reverted, for summaries and pages.</summary>
    private string Tally()
    {
        var reverted = statuses.Where(s => s.Value == StepStatus.Reverted).Select(s => s.Key).Order().ToList();
        var left = statuses.Where(s => s.Value.LeftUnreverted()).OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => $"{s.Key} ({s.Value})").ToList();
        return $"reverted {(reverted.Count == 0 ? "nothing" : string.Join(", ", reverted))}"
            + (left.Count == 0 ? "" : $"; not reverted {string.Join(", ", left)}");
    }
}
