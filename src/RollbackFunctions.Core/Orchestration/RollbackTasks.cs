using Microsoft.DurableTask;

namespace RollbackFunctions.Core.Orchestration;

/// <summary>Registers the rollback orchestration and its activities with a Durable Task worker.</summary>
public static class RollbackTasks
{
    /// <summary>Adds every task of the rollback. The Functions app registers the same classes through trigger shims.</summary>
    public static DurableTaskRegistry AddRollbackTasks(this DurableTaskRegistry registry) => registry
        .AddOrchestrator<RollbackOrchestrator>()
        .AddActivity<HaltDeployActivity>()
        .AddActivity<RecordProgressActivity>()
        .AddActivity<RevertStepActivity>()
        .AddActivity<CompleteRollbackActivity>()
        .AddActivity<SendPageActivity>()
        .AddActivity<EvaluateHealthActivity>();
}
