using Microsoft.DurableTask;
using RollbackFunctions.Core.Audit;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Ports;
using RollbackFunctions.Core.Rollbacks;
using RollbackFunctions.Core.Telemetry;

namespace RollbackFunctions.Core.Orchestration;

/// <summary>The end of a rollback: its phase, and the final status of every step it decided about.</summary>
public sealed record CompletionRequest(
    string RollbackId,
    string DeployId,
    RollbackPhase Phase,
    string Summary,
    IReadOnlyDictionary<string, StepStatus> Steps);

/// <summary>
/// Records how the rollback ended, on the deploy (rolledBack or rollbackFailed, step statuses)
/// and on the rollback head. The head is written last so that a terminal phase means everything
/// else is already recorded. Idempotent.
/// </summary>
public sealed class CompleteRollbackActivity(IDeployStore deploys, IRollbackStore rollbacks, IAuditLog audit, TimeProvider clock)
    : TaskActivity<CompletionRequest, bool>
{
    public override Task<bool> RunAsync(TaskActivityContext context, CompletionRequest input) => ExecuteAsync(input, CancellationToken.None);

    public async Task<bool> ExecuteAsync(CompletionRequest input, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        await deploys.UpdateAsync(input.DeployId, deploy => deploy.RolledBack(input.Phase, input.Steps, now), cancellationToken);
        await audit.AppendAsync(
            new AuditEntry(input.RollbackId, RollbackActors.System, AuditActions.RollbackCompleted, input.Steps, input.Phase.ToString(), input.Summary),
            cancellationToken);
        await rollbacks.SetPhaseAsync(input.RollbackId, input.Phase, input.Summary, now, cancellationToken);
        if (await rollbacks.GetAsync(input.RollbackId, cancellationToken) is { } head)
        {
            // Counted again if this activity is retried after a crash: metrics are at least once.
            RollbackTelemetry.RollbackEnded(head, await rollbacks.GetStepsAsync(input.RollbackId, cancellationToken), input.Phase, now);
        }

        return true;
    }
}
