using Microsoft.DurableTask;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Notifications;

namespace RollbackFunctions.Core.Orchestration;

/// <summary>
/// The GitOps hold: taken before the first revert, checked again before every later level (an
/// ApplicationSet or a self-healing parent Application may turn auto-sync back on at any time). A
/// hold that fails, or is undone <see cref="HoldUndoneLimit"/> times, keeps the steps on every cluster
/// the object manages unreverted (<see cref="StepPolicy"/>) and pages.
/// </summary>
internal sealed partial class RollbackRun
{
    /// <summary>Undone this often, a hold counts as failed: whatever keeps undoing it would undo the reverts too.</summary>
    private const int HoldUndoneLimit = 2;

    /// <summary>How many times each GitOps object's hold was found undone in this run, by <see cref="GitOpsTarget.ToString"/>.</summary>
    private readonly Dictionary<string, int> holdsUndone = new(StringComparer.Ordinal);

    /// <summary>GitOps objects whose failed hold already blocks their clusters.</summary>
    private readonly HashSet<string> holdsFailed = new(StringComparer.Ordinal);

    /// <summary>
    /// Holds the deploy's GitOps controllers before the first revert. Returns the sentence for the
    /// status reply and the page, or null without GitOps objects.
    /// </summary>
    private async Task<string?> HoldGitOpsAsync()
    {
        if (deploy.GitOps.Count == 0)
        {
            return null;
        }

        var outcomes = await context.CallActivityAsync<IReadOnlyList<GitOpsOutcome>>(nameof(HoldGitOpsActivity), new GitOpsHoldRequest(input.RollbackId, deploy.GitOps), StorageRetry);
        var failed = BlockUnheld(outcomes);
        var held = outcomes.Where(o => !failed.ContainsKey(o.Target.ToString())).Select(o => $"auto-sync of {o.Target} held");
        var notHeld = failed.Select(f => f.Value);
        return string.Join("; ", held.Concat(notHeld)) + $"; resume after the fix: POST /api/rollbacks/{input.RollbackId}/gitops/resume";
    }

    /// <summary>
    /// Before a revert level after the first: reads every hold again and holds what was undone (the
    /// activity audits it). Deploys without GitOps objects schedule nothing here, so their running
    /// instances replay as before.
    /// </summary>
    private async Task RecheckGitOpsAsync()
    {
        if (deploy.GitOps.Count == 0)
        {
            return;
        }

        var outcomes = await context.CallActivityAsync<IReadOnlyList<GitOpsOutcome>>(
            nameof(HoldGitOpsActivity), new GitOpsHoldRequest(input.RollbackId, deploy.GitOps) { Recheck = true }, StorageRetry);
        foreach (var (_, failure) in BlockUnheld(outcomes))
        {
            await PageAsync(PageKind.RollbackStuck, $"rollback of {DeployName}: {failure}");
        }
    }

    /// <summary>
    /// Blocks the clusters of every hold that failed, or was undone too often, the first time it
    /// happens; returns those objects with the sentence that says so.
    /// </summary>
    private Dictionary<string, string> BlockUnheld(IReadOnlyList<GitOpsOutcome> outcomes)
    {
        var blocked = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var outcome in outcomes)
        {
            var key = outcome.Target.ToString();
            var undone = outcome.Reheld ? holdsUndone[key] = holdsUndone.GetValueOrDefault(key) + 1 : holdsUndone.GetValueOrDefault(key);
            var failure = !outcome.Done ? outcome.Detail
                : undone >= HoldUndoneLimit ? $"its hold was undone {undone} times (an ApplicationSet or a parent Application keeps turning auto-sync back on); held again, but that would undo the reverts too"
                : null;
            if (failure is null || !holdsFailed.Add(key))
            {
                continue;
            }

            var clusters = outcome.Target.AffectedClusters();
            foreach (var cluster in clusters)
            {
                unheldClusters.TryAdd(cluster, $"{outcome.Target}: {failure}");
            }

            blocked[key] = $"could NOT hold {outcome.Target} ({failure}): steps on {string.Join(", ", clusters)} will not be reverted";
        }

        return blocked;
    }
}
