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

    /// <summary>Steps in flight at the halt (SAFETY.md 2): reverted when their target differs from before the deploy.</summary>
    private IReadOnlySet<string> inFlight = new HashSet<string>();

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
            if (await AwaitApprovalAsync(step, level, decision.Detail, planDigest: null) is { } refusal)
            {
                await RecordStepAsync(step, level, StepStatus.NotApproved, refusal);
                return;
            }

            approved = true;
        }

        var overrideDrift = false;
        var result = await RevertWithDeadlineAsync(step, level, approved, planDigest: null, overrideDrift);

        // Every ask waits for a human, so none of this is an automatic loop; each kind of ask is
        // bounded. A drift ask: the target holds what neither this deploy nor the state before it
        // made; whoever started the rollback, an operator decides, bound to the drift shown (an
        // approval raised earlier does not answer it), and approving restores the state from
        // before anyway, only while the target still holds that drift: changed again during the
        // wait, the activity finds a new drift and it is asked again (review item S1). A plan ask:
        // the executor found the revert destructive at run time and did nothing yet; an approval
        // binds to the plan or effect shown (SAFETY.md 3), so one given before any plan was shown
        // (revert mode approval), or for a plan that went stale, is asked again with the new one.
        var (driftAsks, planAsks) = (0, 0);
        while (result.Status == StepStatus.AwaitingApproval)
        {
            var drift = result.Drift;
            if (drift ? driftAsks++ >= MaxApprovalAsks
                : planAsks++ >= MaxApprovalAsks || (approved && (result.PlanDigest is null || result.PlanDigest == result.RanWith)))
            {
                break;
            }

            if (await AwaitApprovalAsync(step, level, result.Detail, result.PlanDigest) is { } refusal)
            {
                await RecordStepAsync(step, level, StepStatus.NotApproved, drift ? $"drift kept, not reverted: {refusal}" : refusal);
                return;
            }

            if (drift)
            {
                overrideDrift = true;
                result = await RevertWithDeadlineAsync(step, level, approved, planDigest: null, overrideDrift);
            }
            else
            {
                approved = true;
                result = await RevertWithDeadlineAsync(step, level, approved, result.PlanDigest, overrideDrift);
            }
        }

        if (result.Drift)
        {
            await RecordStepAsync(step, level, StepStatus.NotApproved, $"drift kept, not reverted: the target changed again during each of {MaxApprovalAsks} approval waits; {result.Detail}");
            return;
        }

        // The revert activity already wrote the step's row; only the run's own tally changes here.
        statuses[step.Id] = StepPolicy.After(result.Status, approved);
    }

    /// <summary>How many times one step asks an operator before a plan that keeps changing counts as a failed revert.</summary>
    private const int MaxApprovalAsks = 3;

    /// <summary>What one revert attempt came to: its status and detail, the digest it asks approval for, the approved digest it ran with, and whether it found drift.</summary>
    private sealed record StepOutcome(StepStatus Status, string Detail, string? PlanDigest, string? RanWith, bool Drift);

    /// <summary>
    /// Runs the revert activity (with its retry policy) against the step's deadline. A revert past
    /// its deadline pages "rollback stuck" and counts as not reverted; it is not cancelled, and
    /// whatever it reports later lands on the step's row.
    /// </summary>
    private async Task<StepOutcome> RevertWithDeadlineAsync(DeployStep step, int level, bool approved, string? planDigest, bool overrideDrift)
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
            DeadlineAt = context.CurrentUtcDateTime + deadline,
            PlanDigest = planDigest,
            Before = step.Before,
            After = step.After,
            MaybeApplied = inFlight.Contains(step.Id),
            OverrideDrift = overrideDrift,
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

            return new StepOutcome(outcome.Status, outcome.Detail, outcome.PlanDigest, planDigest, outcome.Drift);
        }

        var detail = $"revert of {step.Id} passed its deadline of {deadline}";
        await RecordStepAsync(step, level, StepStatus.TimedOut, detail);
        await PageAsync(PageKind.RollbackStuck, $"rollback of {DeployName} stuck: {detail}; dependent steps stay unreverted");
        return new StepOutcome(StepStatus.TimedOut, detail, null, planDigest, Drift: false);
    }

    /// <summary>A revert that threw on every attempt is a failed revert, not a failed rollback.</summary>
    private static async Task<(StepStatus Status, string Detail, string? PlanDigest, bool Threw, bool Drift)> RevertResultAsync(Task<StepRevertResult> revert)
    {
        try
        {
            var result = await revert;
            return (result.StepStatus, result.Detail, result.PlanDigest, false, result.Outcome == RevertOutcome.Drift);
        }
        catch (TaskFailedException e)
        {
            return (StepStatus.RevertFailed, $"every attempt failed; the last: {e.FailureDetails.ErrorMessage}", null, true, false);
        }
    }

    /// <summary>
    /// Waits for an operator's decision on a step. Returns null when approved, else why not:
    /// rejected, timed out (escalated), or the rollback was aborted.
    /// </summary>
    private async Task<string?> AwaitApprovalAsync(DeployStep step, int level, string why, string? planDigest)
    {
        waitingForApproval++;
        await ProgressAsync(
            waitingForApproval == 1 ? RollbackPhase.AwaitingApproval : null,
            [Row(step, level, StepStatus.AwaitingApproval, why) with { ApprovalDue = context.CurrentUtcDateTime + input.Settings.ApprovalTimeout, PlanDigest = planDigest }],
            $"waiting for approval of {step.Id}");
        await PageAsync(PageKind.ApprovalNeeded, $"approval needed to revert {step.Id} of {DeployName}: {why}");

        using var cancel = new CancellationTokenSource();
        var timeout = TimerAsync(input.Settings.ApprovalTimeout, cancel.Token);
        Task<OperatorDecision> decision;
        Task first;
        do
        {
            // An approval of a plan shown earlier (raised while the step was being re-planned) is
            // buffered by the engine under the same event name: it does not approve this plan.
            decision = context.WaitForExternalEvent<OperatorDecision>(RollbackEvents.Approval(step.Id), cancel.Token);
            first = await Task.WhenAny(decision, timeout, abortSignal);
        }
        while (first == decision && !decision.Result.Answers(planDigest));

        cancel.Cancel();
        waitingForApproval--;

        string? refusal;
        AuditNote note;
        if (first == decision)
        {
            var d = decision.Result;
            refusal = d.Approved ? null : $"rejected by {d.Actor}: {d.Reason}";
            note = new AuditNote(d.Actor, AuditActions.ApprovalDecided, d.Approved ? "approved" : "rejected", $"{step.Id}: {d.Reason}{(planDigest is null ? "" : $" (plan sha256:{planDigest})")}");
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
            .SelectMany((level, index) => level.Select(id => Row(byId[id], index, StepStatus.Pending, plan.InFlight.Contains(id)
                ? $"planned: maybe applied (was {byId[id].Status} at the halt), reverted if its target differs from before the deploy"
                : "planned")))
            .ToList();
        rows.AddRange(plan.Skipped.Select(id => Row(byId[id], -1, StepStatus.Skipped, $"never applied (was {byId[id].Status})")));
        return rows;
    }

    private static RollbackStepRecord Row(DeployStep step, int level, StepStatus status, string detail) =>
        new(step.Id, step.Kind, level, status, 0, null, null, detail);
}
