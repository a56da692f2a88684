using Microsoft.DurableTask;
using RollbackFunctions.Core.Audit;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Ports;

namespace RollbackFunctions.Core.Orchestration;

/// <summary>Request to halt a deploy for a rollback.</summary>
public sealed record HaltRequest(string RollbackId, string DeployId);

/// <summary>
/// Marks the deploy halted so its gate refuses further steps, and returns the deploy as it stands:
/// the set of applied steps is fixed here. Idempotent: halting a halted deploy changes nothing.
/// </summary>
public sealed class HaltDeployActivity(IDeployStore deploys, IAuditLog audit) : TaskActivity<HaltRequest, DeployRecord>
{
    public override Task<DeployRecord> RunAsync(TaskActivityContext context, HaltRequest input) => ExecuteAsync(input, CancellationToken.None);

    public async Task<DeployRecord> ExecuteAsync(HaltRequest input, CancellationToken cancellationToken)
    {
        var halted = await deploys.UpdateAsync(input.DeployId, deploy => deploy.HaltedBy(input.RollbackId), cancellationToken) ?? throw new InvalidOperationException($"deploy {input.DeployId} does not exist");
        var applied = halted.Steps.Where(s => s.Status.NeedsRevert()).Select(s => s.Id).ToList();
        await audit.AppendAsync(
            new AuditEntry(input.RollbackId, RollbackActors.System, AuditActions.DeployHalted, new { input.DeployId, applied }, "halted", $"gate closed; applied steps: {string.Join(", ", applied)}"),
            cancellationToken);
        return halted;
    }
}
