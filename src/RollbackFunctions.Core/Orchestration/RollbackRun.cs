using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Notifications;
using RollbackFunctions.Core.Planning;
using RollbackFunctions.Core.Rollbacks;

namespace RollbackFunctions.Core.Orchestration;

/// <summary>One execution of <see cref="RollbackOrchestrator"/>: its state and the phases in order.</summary>
internal sealed partial class RollbackRun(TaskOrchestrationContext context, RollbackRequest input)
{
    /// <summary>
    /// What the run decided for each step so far. Steps of one level run in parallel and all write
    /// here, safely: orchestrator code runs on one thread, and only between awaits.
    /// </summary>
    private readonly Dictionary<string, StepStatus> statuses = [];

    /// <summary>Completes when an operator aborts; listened to from the first instruction on.</summary>
    private readonly Task<OperatorDecision> abortSignal = context.WaitForExternalEvent<OperatorDecision>(RollbackEvents.Abort);

    private DeployRecord deploy = null!;
    private StepGraph graph = null!;

    /// <summary>Pages sent and maybe not delivered yet: the final page waits for them.</summary>
    private readonly List<Task> pagesInFlight = [];

    /// <summary>Attempts of one page; with the step backoff, a pager may be down for a minute or so.</summary>
    private const int PageAttempts = 6;

    /// <summary>How many page-wait limits the final page waits for earlier pages and for its own delivery.</summary>
    private const int FinalPageWaits = 6;

    private bool Aborted => abortSignal.IsCompleted;

    /// <summary>
    /// Retry of the activities that only touch storage: its SDK retries fast faults, this covers a
    /// longer outage (5 attempts on the step retry's backoff).
    /// </summary>
    private TaskOptions StorageRetry => TaskOptions.FromRetryPolicy(new RetryPolicy(5, input.Settings.StepFirstRetryInterval, input.Settings.StepBackoffCoefficient));

    /// <summary>"checkout 1.4.3 in prod", for summaries and pages.</summary>
    private string DeployName => $"{deploy.Service} {deploy.Version} in {deploy.Environment}";

    public async Task<RollbackResult> ExecuteAsync()
    {
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
        deploy = await context.CallActivityAsync<DeployRecord>(nameof(HaltDeployActivity), new HaltRequest(input.RollbackId, input.DeployId), StorageRetry);
        graph = ReversePlanner.GraphOf(deploy.Steps);
        var plan = ReversePlanner.Plan(deploy.Steps);
        inFlight = plan.InFlight;
        foreach (var skipped in plan.Skipped)
        {
            statuses[skipped] = StepStatus.Skipped;
        }

        if (!plan.InOrder.Any())
        {
            // Nothing this product can undo: whatever is wrong, a rollback did not fix it. Escalate.
            await ProgressAsync(null, PlannedRows(plan, deploy.Steps));
            return await FinishAsync(RollbackPhase.Failed, $"rollback of {DeployName} has nothing to revert: no step is applied and unreverted; manual investigation needed", PageKind.RollbackFailed);
        }

        var held = await HoldGitOpsAsync();
        var order = string.Join(" -> ", plan.Levels.Select(level => string.Join(" + ", level)));
        var startedPage = $"rollback of {DeployName} in progress: reverting {order}{(held is null ? "" : $". GitOps: {held}")}";
        if ((input.ActionOrder ?? RollbackRequest.PageFirst) == RollbackRequest.PageFirst)
        {
            await RevertPagingFirstAsync(plan, held, startedPage);
        }
        else
        {
            await RevertWhilePagingAsync(plan, held, startedPage);
        }

        if (Aborted)
        {
            return await FinishAsync(RollbackPhase.Aborted, $"rollback of {DeployName} aborted by {abortSignal.Result.Actor}: {abortSignal.Result.Reason}; {Tally()}", PageKind.RollbackAborted);
        }

        if (statuses.Values.Any(s => s.LeftUnreverted()))
        {
            return await FinishAsync(RollbackPhase.Failed, $"rollback of {DeployName} incomplete, manual intervention needed: {Tally()}", PageKind.RollbackFailed);
        }

        var (healthy, evidence) = await VerifyAsync();
        if (Aborted)
        {
            return await FinishAsync(RollbackPhase.Aborted, $"rollback of {DeployName} aborted during verification by {abortSignal.Result.Actor}; {Tally()}", PageKind.RollbackAborted);
        }

        return healthy
            ? await FinishAsync(RollbackPhase.Succeeded, $"rollback of {DeployName} succeeded: {Tally()}; {evidence}", PageKind.RollbackSucceeded)
            : await FinishAsync(RollbackPhase.Failed, $"rollback of {DeployName} did not restore health: {evidence}; {Tally()}", PageKind.RollbackFailed);
    }

    private async Task<RollbackResult> FinishAsync(RollbackPhase phase, string summary, PageKind page)
    {
        await context.CallActivityAsync<bool>(
            nameof(CompleteRollbackActivity),
            new CompletionRequest(input.RollbackId, input.DeployId, phase, summary, statuses) { QuarantineFor = input.QuarantineFor },
            StorageRetry);
        OrchestrationLog.Finished(context.CreateReplaySafeLogger<RollbackOrchestrator>(), input.RollbackId, phase, summary);

        // The last page resolves or escalates the incident: every earlier page (still retrying, or
        // slow) lands first, so a late "rollback started" never reopens a resolved incident. Bounded:
        // a pager that stays down does not keep the rollback open for ever.
        await WithinAsync(Task.WhenAll(pagesInFlight.Select(DeliveredOrGivenUpAsync)), input.Settings.PageWaitLimit * FinalPageWaits);
        await WithinAsync(DeliveredOrGivenUpAsync(Page(page, summary)), input.Settings.PageWaitLimit * FinalPageWaits);
        return new RollbackResult(input.RollbackId, phase, summary, statuses);
    }

    /// <summary>
    /// Pages and waits for delivery at most <see cref="RollbackSettings.PageWaitLimit"/>: on-call hears
    /// first in the normal case, and a slow or broken pager never holds the rollback back. The page
    /// itself keeps being retried while the rollback goes on.
    /// </summary>
    private async Task PageAsync(PageKind kind, string summary) =>
        await WithinAsync(DeliveredOrGivenUpAsync(Page(kind, summary)), input.Settings.PageWaitLimit);

    /// <summary>Sends a page with its retry policy (the activity throws while no channel took it) and keeps it in flight.</summary>
    private Task Page(PageKind kind, string summary)
    {
        var retry = TaskOptions.FromRetryPolicy(new RetryPolicy(PageAttempts, input.Settings.StepFirstRetryInterval, input.Settings.StepBackoffCoefficient));
        var page = context.CallActivityAsync<IReadOnlyList<ChannelOutcome>>(nameof(SendPageActivity), new PageRequest(input.RollbackId, kind, summary), retry);
        pagesInFlight.Add(page);
        return page;
    }

    /// <summary>Waits for <paramref name="work"/> or until <paramref name="limit"/> passes, whichever is first.</summary>
    private async Task WithinAsync(Task work, TimeSpan limit)
    {
        using var cancel = new CancellationTokenSource();
        if (await Task.WhenAny(work, TimerAsync(limit, cancel.Token)) == work)
        {
            cancel.Cancel();
        }
    }

    /// <summary>A page that failed every attempt is audited by its activity; it never fails the rollback.</summary>
    private static async Task DeliveredOrGivenUpAsync(Task page)
    {
        try
        {
            await page;
        }
        catch (TaskFailedException)
        {
        }
    }

    private Task ProgressAsync(RollbackPhase? phase, IReadOnlyList<RollbackStepRecord> steps, string? note = null, params AuditNote[] audit) =>
        ProgressAsync(new ProgressUpdate(input.RollbackId, phase, steps, note, audit));

    private Task ProgressAsync(ProgressUpdate update)
    {
        if (update.Phase is { } entered)
        {
            // Replay-safe: each phase change is logged once, not again on every replay.
            OrchestrationLog.PhaseEntered(context.CreateReplaySafeLogger<RollbackOrchestrator>(), input.RollbackId, entered, update.Note ?? "");
        }

        return context.CallActivityAsync<bool>(nameof(RecordProgressActivity), update, StorageRetry);
    }

    /// <summary>What was and was not reverted, for summaries and pages; unchanged steps apart, never as reverted.</summary>
    private string Tally()
    {
        var reverted = statuses.Where(s => s.Value == StepStatus.Reverted).Select(s => s.Key).Order(StringComparer.Ordinal).ToList();
        var unchanged = statuses.Where(s => s.Value == StepStatus.Unchanged).Select(s => s.Key).Order(StringComparer.Ordinal).ToList();
        var left = statuses.Where(s => s.Value.LeftUnreverted()).OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => $"{s.Key} ({s.Value})").ToList();
        return $"reverted {(reverted.Count == 0 ? "nothing" : string.Join(", ", reverted))}"
            + (unchanged.Count == 0 ? "" : $"; unchanged (already as before the deploy) {string.Join(", ", unchanged)}")
            + (left.Count == 0 ? "" : $"; not reverted {string.Join(", ", left)}");
    }
}
