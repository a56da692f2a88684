using RollbackFunctions.Core.Notifications;
using RollbackFunctions.Core.Planning;
using RollbackFunctions.Core.Rollbacks;

namespace RollbackFunctions.Core.Orchestration;

/// <summary>
/// Starting the reverts: the two orders of actions a rollback may have been started with
/// (<see cref="RollbackRequest.ActionOrder"/>). Each instance replays its own, so both stay.
/// </summary>
internal sealed partial class RollbackRun
{
    /// <summary>
    /// The current order. Everything between the halt and the first revert is a round trip the
    /// incident goes on for, so the phase and plan write, the "rollback started" page and the first
    /// level's reverts are scheduled together. On-call still hears with the rollback running: the
    /// page says "in progress" and carries the alerts and the plan, and its delivery (or the page-wait
    /// limit) and the plan write are awaited before the second level, so neither is ever behind more
    /// than one level. The first level's rows are left out of the plan write: each revert writes its
    /// own row, and a plan row landing after it would turn it back into "planned". The phase write
    /// moves the rollback only out of halting: a first step that asks for approval writes
    /// awaitingApproval meanwhile, and the two writes may land in either order.
    /// </summary>
    private async Task RevertWhilePagingAsync(RevertPlan plan, string? held, string startedPage)
    {
        var note = $"deploy halted{(held is null ? "" : $"; GitOps: {held}")}; paging on-call; reverting {plan.InOrder.Count()} step(s)";
        var laterRows = PlannedRows(plan, deploy.Steps).Where(row => row.Level != 0).ToList();
        var recorded = ProgressAsync(new ProgressUpdate(input.RollbackId, RollbackPhase.RollingBack, laterRows, note) { PhaseOnlyFrom = RollbackPhase.Halting });
        var paged = WithinAsync(DeliveredOrGivenUpAsync(Page(PageKind.RollbackStarted, startedPage)), input.Settings.PageWaitLimit);
        await RevertLevelAsync(plan, 0);
        await Task.WhenAll(paged, recorded);
        for (var level = 1; level < plan.Levels.Count; level++)
        {
            await RevertLevelAsync(plan, level);
        }
    }

    /// <summary>
    /// The order of instances started before issue 21: plan and paging phase written, the page
    /// awaited (within the page-wait limit), then the first level with the rollingBack write beside it.
    /// </summary>
    private async Task RevertPagingFirstAsync(RevertPlan plan, string? held, string startedPage)
    {
        await ProgressAsync(RollbackPhase.Paging, PlannedRows(plan, deploy.Steps), held is null ? "deploy halted; paging on-call" : $"deploy halted; GitOps: {held}; paging on-call");
        await PageAsync(PageKind.RollbackStarted, startedPage);

        // A first step that asks for approval writes awaitingApproval meanwhile, and the two writes
        // may land in either order, so this one only replaces paging.
        var rollingBack = ProgressAsync(new ProgressUpdate(input.RollbackId, RollbackPhase.RollingBack, [], $"reverting {plan.InOrder.Count()} step(s)") { PhaseOnlyFrom = RollbackPhase.Paging });
        for (var level = 0; level < plan.Levels.Count; level++)
        {
            await RevertLevelAsync(plan, level);
        }

        await rollingBack;
    }

    /// <summary>
    /// Reverts one level's steps in parallel: none depends on another. Before every level after the
    /// first, the GitOps holds are read again (an ApplicationSet or a parent app may have undone one),
    /// in instances started in the current order of actions.
    /// </summary>
    private async Task RevertLevelAsync(RevertPlan plan, int level)
    {
        // Only in the current order: instances started before replay the activities they scheduled.
        if (level > 0 && input.ActionOrder >= RollbackRequest.PageWithFirstReverts)
        {
            await RecheckGitOpsAsync();
        }

        await Task.WhenAll(plan.Levels[level].Select(stepId => RevertStepAsync(deploy.Steps.Single(s => s.Id == stepId), level)));
    }
}
