using Microsoft.DurableTask;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Executors;
using RollbackFunctions.Core.Notifications;
using RollbackFunctions.Core.Planning;
using RollbackFunctions.Core.Rollbacks;

namespace RollbackFunctions.Core.Orchestration;

/// <summary>Reverting one step: blocking, manual steps, approvals, the deadline.</summary>
internal sealed partial class RollbackRun
{
    private int waitingForApproval;

    private async Task RunStepAsync(DeployStep step, int level)
    {
        var blocker = graph.DependentsOf(step.Id).FirstOrDefault(d => statuses.TryGetValue(d, out var s) && s.LeftUnreverted());
        if (Aborted)
        {
            await DecideAsync(step, level, StepStatus.Cancelled, $"rollback aborted by {abortSignal.Result.Actor} before this step ran");
            return;
        }

        if (blocker is not null)
        {
            await DecideAsync(step, level, StepStatus.Blocked, $"not reverted because {blocker} was not ({statuses[blocker]})");
            return;
        }

        if (step.RevertMode == RevertMode.Manual)
        {
            await DecideAsync(step, level, StepStatus.Manual, "revert mode is manual: work for a human");
            return;
        }

        var approved = false;
        if (step.RevertMode == RevertMode.Approval)
        {
            if (await AwaitApprovalAsync(step, level, "revert mode is approval") is { } refusal)
            {
                await DecideAsync(step, level, StepStatus.NotApproved, refusal);
                return;
            }

            approved = true;
        }

        var (status, detail) = await RevertWithDeadlineAsync(step, level, approved);
        if (status == StepStatus.AwaitingApproval)
        {
            // The executor found the revert destructive at run time and did nothing yet.
            if (await AwaitApprovalAsync(step, level, detail) is { } refusal)
            {
                await DecideAsync(step, level, StepStatus.NotApproved, refusal);
                return;
            }

            (status, _) = await RevertWithDeadlineAsync(step, level, approved: true);
        }

        statuses[step.Id] = status == StepStatus.AwaitingApproval ? StepStatus.RevertFailed : status;
    }

    /// <summary>
    /// Runs the revert activity (with its retry policy) against the step's deadline. A revert past
    /// its deadline pages "rollback stuck" and counts as not reverted; it is not cancelled, and
    /// whatever it reports later lands on the step's row.
    /// </summary>
    private async Task<(StepStatus Status, string Detail)> RevertWithDeadlineAsync(DeployStep step, int level, bool approved)
    {
        var settings = input.Settings;
        var retry = TaskOptions.FromRetryPolicy(new RetryPolicy(
            step.MaxAttempts ?? settings.StepMaxAttempts, settings.StepFirstRetryInterval, settings.StepBackoffCoefficient));
        var request = new StepRevertRequest(input.RollbackId, deploy.DeployId, step.Id, step.Kind, step.Params, deploy.Version, deploy.PreviousVersion) { Approved = approved };
        var revert = context.CallActivityAsync<StepRevertResult>(nameof(RevertStepActivity), request, retry);
        var deadline = step.Deadline ?? settings.StepDeadline;
        using var cancel = new CancellationTokenSource();
        var timer = TimerAsync(deadline, cancel.Token);
        if (await Task.WhenAny(revert, timer) == revert)
        {
            cancel.Cancel();
            return await OutcomeOf(revert);
        }

        var detail = $"revert of {step.Id} passed its deadline of {deadline}";
        await DecideAsync(step, level, StepStatus.TimedOut, detail);
        await PageAsync(PageKind.RollbackStuck, $"rollback of {What} stuck: {detail}; dependent steps stay unreverted");
        return (StepStatus.TimedOut, detail);
    }

    /// <summary>A revert that threw on every attempt is a failed revert, not a failed rollback.</summary>
    private static async Task<(StepStatus, string)> OutcomeOf(Task<StepRevertResult> revert)
    {
        try
        {
            var result = await revert;
            return result.Outcome switch
            {
                RevertOutcome.Reverted => (StepStatus.Reverted, result.Detail),
                RevertOutcome.NeedsApproval => (StepStatus.AwaitingApproval, result.Detail),
                _ => (StepStatus.RevertFailed, result.Detail),
            };
        }
        catch (TaskFailedException e)
        {
            return (StepStatus.RevertFailed, e.FailureDetails.ErrorMessage);
        }
    }

    /// <summary>
    /// Waits for an operator's decision on a step. Returns null when approved, else why not:
    /// rejected, timed out (escalated), or the rollback was aborted.
    /// </summary>
    private async Task<string?> AwaitApprovalAsync(DeployStep step, int level, string why)
    {
        waitingForApproval++;
        await ProgressAsync(
            waitingForApproval == 1 ? RollbackPhase.AwaitingApproval : null,
            [Row(step, level, StepStatus.AwaitingApproval, why)],
            $"waiting for approval of {step.Id}");
        await PageAsync(PageKind.ApprovalNeeded, $"approval needed to revert {step.Id} of {What}: {why}");

        using var cancel = new CancellationTokenSource();
        var decision = context.WaitForExternalEvent<OperatorDecision>(RollbackEvents.Approval(step.Id), cancel.Token);
        var timeout = TimerAsync(input.Settings.ApprovalTimeout, cancel.Token);
        var first = await Task.WhenAny(decision, timeout, abortSignal);
        cancel.Cancel();
        waitingForApproval--;

        string? refusal;
        AuditNote note;
        if (first == decision)
        {
            var d = decision.Result;
            refusal = d.Approved ? null : $"rejected by {d.Actor}: {d.Reason}";
            note = new AuditNote(d.Actor, "approval.decided", d.Approved ? "approved" : "rejected", $"{step.Id}: {d.Reason}");
        }
        else if (first == timeout)
        {
            refusal = $"no approval within {input.Settings.ApprovalTimeout}";
            note = new AuditNote("system", "approval.timedOut", "notApproved", $"{step.Id}: {refusal}");
            await PageAsync(PageKind.RollbackStuck, $"approval to revert {step.Id} of {What} timed out after {input.Settings.ApprovalTimeout}: not reverted, escalating");
        }
        else
        {
            refusal = $"rollback aborted by {abortSignal.Result.Actor}";
            note = new AuditNote(abortSignal.Result.Actor, "approval.abandoned", "aborted", step.Id);
        }

        var phase = waitingForApproval == 0 && !Aborted ? RollbackPhase.RollingBack : (RollbackPhase?)null;
        await ProgressAsync(phase, [], null, note);
        return refusal;
    }

    private Task DecideAsync(DeployStep step, int level, StepStatus status, string detail)
    {
        statuses[step.Id] = status;
        return ProgressAsync(null, [Row(step, level, status, detail)]);
    }

    private static List<RollbackStepRecord> PlannedRows(RevertPlan plan, IReadOnlyList<DeployStep> steps)
    {
        var byId = steps.ToDictionary(s => s.Id);
        var rows = plan.Levels
            .SelectMany((level, index) => level.Select(id => Row(byId[id], index, StepStatus.Pending, "planned")))
            .ToList();
        rows.AddRange(plan.Skipped.Select(id => Row(byId[id], -1, StepStatus.Skipped, $"never applied (was {byId[id].Status})")));
        return rows;
    }

    private static RollbackStepRecord Row(DeployStep step, int level, StepStatus status, string detail) =>
        new(step.Id, step.Kind, level, status, 0, null, null, detail);
}
