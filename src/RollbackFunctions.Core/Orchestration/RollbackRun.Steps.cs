using Microsoft.DurableTask;
using RollbackFunctions.Core.Audit;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Executors;
using RollbackFunctions.Core.Notifications;
using RollbackFunctions.Core.Planning;
using RollbackFunctions.Core.Policy;
using RollbackFunctions.Core.Rollbacks;

namespace RollbackFunctions.Core.Orchestration;

/// <summary>Reverting one step: <see cref="StepPolicy"/> decides, this coordinates approvals and the deadline.</summary>
internal sealed partial class RollbackRun
{
    private int waitingForApproval;

    /// <summary>Clusters whose GitOps hold failed, with why.</summary>
    private readonly Dictionary<string, string> unheldClusters = new(StringComparer.Ordinal);

    private async Task RevertStepAsync(DeployStep step, int level)
    {
        var decision = StepPolicy.Before(step, graph, statuses, Aborted ? abortSignal.Result.Actor : null, input.Approvals ?? RollbackApprovals.None, unheldClusters);
        if (decision.Action == StepAction.Leave)
        {
            await RecordStepAsync(step, level, decision.Status!.Value, decision.Detail);
            return;
        }

        var approved = false;
        if (decision.Action == StepAction.AskApproval)
        {
            if (await AwaitApprovalAsync(step, level, decision.Detail) is { } refusal)
            {
                await RecordStepAsync(step, level, StepStatus.NotApproved, refusal);
                return;
            }

            approved = true;
        }

        var (status, detail) = await RevertWithDeadlineAsync(step, level, approved);
        if (status == StepStatus.AwaitingApproval && !approved)
        {
            // The executor found the revert destructive at run time and did nothing yet.
            if (await AwaitApprovalAsync(step, level, detail) is { } refusal)
            {
                await RecordStepAsync(step, level, StepStatus.NotApproved, refusal);
                return;
            }

            approved = true;
            (status, _) = await RevertWithDeadlineAsync(step, level, approved);
        }

        // The revert activity already wrote the step's row; only the run's own tally changes here.
        statuses[step.Id] = StepPolicy.After(status, approved);
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
        var deadline = step.Deadline ?? settings.StepDeadline;
        var request = new StepRevertRequest(input.RollbackId, deploy.DeployId, step.Id, step.Kind, step.Params, deploy.Version, deploy.PreviousVersion)
        {
            Approved = approved,
            Captured = step.Captured,
            WaitLimit = deadline,
            Level = level,
        };
        var revert = context.CallActivityAsync<StepRevertResult>(nameof(RevertStepActivity), request, retry);
        using var cancel = new CancellationTokenSource();
        var timer = TimerAsync(deadline, cancel.Token);
        if (await Task.WhenAny(revert, timer) == revert)
        {
            cancel.Cancel();
            var outcome = await RevertResultAsync(revert);
            if (outcome.Threw)
            {
                // The activity never wrote its outcome: the row would stay "reverting" for ever.
                await RecordStepAsync(step, level, outcome.Status, outcome.Detail);
            }

            return (outcome.Status, outcome.Detail);
        }

        var detail = $"revert of {step.Id} passed its deadline of {deadline}";
        await RecordStepAsync(step, level, StepStatus.TimedOut, detail);
        await PageAsync(PageKind.RollbackStuck, $"rollback of {DeployName} stuck: {detail}; dependent steps stay unreverted");
        return (StepStatus.TimedOut, detail);
    }

    /// <summary>A revert that threw on every attempt is a failed revert, not a failed rollback.</summary>
    private static async Task<(StepStatus Status, string Detail, bool Threw)> RevertResultAsync(Task<StepRevertResult> revert)
    {
        try
        {
            var result = await revert;
            return (result.StepStatus, result.Detail, false);
        }
        catch (TaskFailedException e)
        {
            return (StepStatus.RevertFailed, $"every attempt failed; the last: {e.FailureDetails.ErrorMessage}", true);
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
            [Row(step, level, StepStatus.AwaitingApproval, why) with { ApprovalDue = context.CurrentUtcDateTime + input.Settings.ApprovalTimeout }],
            $"waiting for approval of {step.Id}");
        await PageAsync(PageKind.ApprovalNeeded, $"approval needed to revert {step.Id} of {DeployName}: {why}");

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
            note = new AuditNote(d.Actor, AuditActions.ApprovalDecided, d.Approved ? "approved" : "rejected", $"{step.Id}: {d.Reason}");
        }
        else if (first == timeout)
        {
            refusal = $"no approval within {input.Settings.ApprovalTimeout}";
            note = new AuditNote(RollbackActors.System, AuditActions.ApprovalTimedOut, "notApproved", $"{step.Id}: {refusal}");
            await PageAsync(PageKind.RollbackStuck, $"approval to revert {step.Id} of {DeployName} timed out after {input.Settings.ApprovalTimeout}: not reverted, escalating");
        }
        else
        {
            refusal = $"rollback aborted by {abortSignal.Result.Actor}";
            note = new AuditNote(abortSignal.Result.Actor, AuditActions.ApprovalAbandoned, "aborted", step.Id);
        }

        var phase = waitingForApproval == 0 && !Aborted ? RollbackPhase.RollingBack : (RollbackPhase?)null;
        await ProgressAsync(phase, [], null, note);
        return refusal;
    }

    /// <summary>Records a status the run decided (not the executor): in the run's tally and on the step's row.</summary>
    private Task RecordStepAsync(DeployStep step, int level, StepStatus status, string detail)
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
