using Microsoft.DurableTask;
using RollbackFunctions.Core.Audit;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Ports;
using RollbackFunctions.Core.Rollbacks;

namespace RollbackFunctions.Core.Orchestration;

/// <summary>Request to halt a deploy for a rollback.</summary>
public sealed record HaltRequest(string RollbackId, string DeployId);

/// <summary>
/// Marks the deploy halted so its gate refuses further steps, and returns the deploy as it stands:
/// the set of applied steps is fixed here. Idempotent: halting a halted deploy changes nothing.
/// A rollback restarted by the stalled-rollback sweep finds its own step rows: a step it already
/// reverted comes back as still reverting, so the plan keeps it in its place and the revert
/// activity, finding its row reverted, reports it reverted without calling the executor again.
/// A first run has no rows, so what it gets is unchanged.
/// </summary>
public sealed class HaltDeployActivity(IDeployStore deploys, IRollbackStore rollbacks, IAuditLog audit) : TaskActivity<HaltRequest, DeployRecord>
{
    public override Task<DeployRecord> RunAsync(TaskActivityContext context, HaltRequest input) => ExecuteAsync(input, CancellationToken.None);

    public async Task<DeployRecord> ExecuteAsync(HaltRequest input, CancellationToken cancellationToken)
    {
        var halted = await deploys.UpdateAsync(input.DeployId, deploy => deploy.HaltedBy(input.RollbackId), cancellationToken) ?? throw new InvalidOperationException($"deploy {input.DeployId} does not exist");
        var revertedEarlier = (await rollbacks.GetStepsAsync(input.RollbackId, cancellationToken))
            .Where(row => row.Level >= 0 && row.Status == StepStatus.Reverted)
            .Select(row => row.StepId)
            .ToHashSet(StringComparer.Ordinal);
        if (revertedEarlier.Count > 0)
        {
            halted = halted with { Steps = halted.Steps.Select(s => revertedEarlier.Contains(s.Id) && s.Status == StepStatus.Reverted ? s with { Status = StepStatus.Reverting } : s).ToList() };
        }

        var applied = halted.Steps.Where(s => s.Status.NeedsRevert()).Select(s => s.Id).ToList();
        await audit.AppendAsync(
            new AuditEntry(input.RollbackId, RollbackActors.System, AuditActions.DeployHalted, new { input.DeployId, applied }, "halted", $"gate closed; applied steps: {string.Join(", ", applied)}"),
            cancellationToken);
        return halted;
    }
}
