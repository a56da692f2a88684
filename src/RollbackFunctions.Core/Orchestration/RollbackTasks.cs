using Microsoft.DurableTask;
using RollbackFunctions.Core.Watching;

namespace RollbackFunctions.Core.Orchestration;

/// <summary>
/// The one list of the rollback's durable tasks. The local runtime and the tests register them from
/// here, service registration adds the activities to DI from here, and a test checks that the
/// Functions app declares a trigger for each (the Functions SDK needs attributes, not a list).
/// </summary>
public static class RollbackTasks
{
    /// <summary>Orchestrators; each task's name is its class name.</summary>
    public static IReadOnlyList<Type> Orchestrators { get; } = [typeof(RollbackOrchestrator), typeof(DeployWatchOrchestrator), typeof(Notifications.NoticeOrchestrator)];

    /// <summary>Activities; each task's name is its class name.</summary>
    public static IReadOnlyList<Type> Activities { get; } =
    [
        typeof(HaltDeployActivity),
        typeof(HoldGitOpsActivity),
        typeof(RecordProgressActivity),
        typeof(RevertStepActivity),
        typeof(CompleteRollbackActivity),
        typeof(SendPageActivity),
        typeof(EvaluateHealthActivity),
        typeof(SampleDeployActivity),
        typeof(ActOnBreachActivity),
        typeof(Notifications.SendNoticeActivity),
    ];

    /// <summary>Adds every task of the rollback to a Durable Task worker's registry.</summary>
    public static DurableTaskRegistry AddRollbackTasks(this DurableTaskRegistry registry)
    {
        foreach (var orchestrator in Orchestrators)
        {
            registry.AddOrchestrator(orchestrator);
        }

        foreach (var activity in Activities)
        {
            registry.AddActivity(activity);
        }

        return registry;
    }
}
