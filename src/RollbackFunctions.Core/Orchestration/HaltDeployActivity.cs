using Microsoft.DurableTask;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Ports;

namespace RollbackFunctions.Core.Orchestration;

/// <summary>Request to halt a deploy for a rollback.</summary>
public sealed record HaltRequest(string RollbackId, string DeployId);

/// <summary>
/// Marks the deploy halted so its gate refuses further steps, and returns the deploy as it stands:
/// the set of applied steps is fixed here. Idempotent: halting a halted deploy changes nothing.
/// </summary>
public sealed class HaltDeployActivity(IDeployStore deploys, TimeProvider clock) : TaskActivity<HaltRequest, DeployRecord>
{
    public override Task<DeployRecord> RunAsync(TaskActivityContext context, HaltRequest input) => ExecuteAsync(input, CancellationToken.None);

    public async Task<DeployRecord> ExecuteAsync(HaltRequest input, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var halted = await deploys.UpdateAsync(
            input.DeployId,
            deploy => deploy.State == DeployState.Halted && deploy.RollbackId == input.RollbackId
                ? null
                : deploy with { State = DeployState.Halted, RollbackId = input.RollbackId },
            cancellationToken);
        return halted ?? throw new InvalidOperationException($"deploy {input.DeployId} does not exist (at {now:O})");
    }
}
