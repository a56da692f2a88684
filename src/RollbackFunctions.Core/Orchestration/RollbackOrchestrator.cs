using Microsoft.DurableTask;

namespace RollbackFunctions.Core.Orchestration;

/// <summary>
/// Rolls a deploy back: halt first (restore the safe state before anything else), page on-call with
/// the evidence, revert the applied steps level by level in reverse dependency order (with deadlines
/// and approvals), verify health on durable timers, then resolve or escalate. Coordinates only:
/// every effect is an activity, so the orchestration replays deterministically.
/// </summary>
public sealed class RollbackOrchestrator : TaskOrchestrator<RollbackRequest, RollbackResult>
{
    public override Task<RollbackResult> RunAsync(TaskOrchestrationContext context, RollbackRequest input) =>
        new RollbackRun(context, input).ExecuteAsync();
}
