using System.Reflection;
using DurableTask.Core;
using DurableTask.Core.History;

namespace RollbackFunctions.Local;

/// <summary>
/// Hands the gRPC sidecar at most one work item per scheduled activity at a time. Storage queues
/// deliver at least once, so two messages can schedule the same activity of the same orchestration
/// (an episode replayed after a crash, a message that reappeared while its first copy still runs).
/// The sidecar keys the activities it waits for by instance and task id; a second one of the same
/// key is never answered, and its work item holds one of the few activity slots for ever; once the
/// slots are full, no revert runs in this process again. So a duplicate is parked here, its message
/// kept hidden (this wraps <see cref="ActivityLockRenewal"/>), and settled with the first copy: completed
/// with the same result (the orchestration ignores a second completion of a task), or abandoned.
/// </summary>
public class DuplicateActivityGuard : OrchestrationServiceProxy
{
    private readonly Dictionary<string, Running> running = new(StringComparer.Ordinal);

    public static IOrchestrationService Wrap(IOrchestrationService service) => (IOrchestrationService)(object)Wrap<DuplicateActivityGuard>(service);

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args) => targetMethod!.Name switch
    {
        nameof(IOrchestrationService.LockNextTaskActivityWorkItem) => HandOutFirstCopyAsync((Task<TaskActivityWorkItem>)Call(targetMethod, args)!),
        nameof(IOrchestrationService.CompleteTaskActivityWorkItemAsync) => CompleteAsync((TaskActivityWorkItem)args![0]!, (TaskMessage)args[1]!),
        nameof(IOrchestrationService.AbandonTaskActivityWorkItemAsync) => AbandonAsync((TaskActivityWorkItem)args![0]!),
        _ => Call(targetMethod, args),
    };

    /// <summary>The work item, or null (nothing to run yet) when its activity already runs here.</summary>
    private async Task<TaskActivityWorkItem?> HandOutFirstCopyAsync(Task<TaskActivityWorkItem> locking)
    {
        var workItem = await locking;
        if (workItem is null)
        {
            return null;
        }

        lock (running)
        {
            if (running.TryGetValue(TaskKey(workItem), out var first))
            {
                first.Duplicates.Add(workItem);
                return null;
            }

            running[TaskKey(workItem)] = new Running(workItem.Id);
            return workItem;
        }
    }

    private async Task CompleteAsync(TaskActivityWorkItem workItem, TaskMessage result)
    {
        await Inner.CompleteTaskActivityWorkItemAsync(workItem, result);
        foreach (var duplicate in Settle(workItem))
        {
            await Inner.CompleteTaskActivityWorkItemAsync(duplicate, result);
        }
    }

    private async Task AbandonAsync(TaskActivityWorkItem workItem)
    {
        await Inner.AbandonTaskActivityWorkItemAsync(workItem);
        foreach (var duplicate in Settle(workItem))
        {
            await Inner.AbandonTaskActivityWorkItemAsync(duplicate);
        }
    }

    /// <summary>Forgets the first copy and returns the duplicates parked behind it.</summary>
    private List<TaskActivityWorkItem> Settle(TaskActivityWorkItem workItem)
    {
        lock (running)
        {
            if (!running.TryGetValue(TaskKey(workItem), out var first) || first.WorkItemId != workItem.Id)
            {
                return [];
            }

            running.Remove(TaskKey(workItem));
            return first.Duplicates;
        }
    }

    private static string TaskKey(TaskActivityWorkItem workItem)
    {
        var instance = workItem.TaskMessage.OrchestrationInstance;
        return $"{instance.InstanceId}|{instance.ExecutionId}|{((TaskScheduledEvent)workItem.TaskMessage.Event).EventId}";
    }

    private sealed record Running(string WorkItemId)
    {
        public List<TaskActivityWorkItem> Duplicates { get; } = [];
    }
}
