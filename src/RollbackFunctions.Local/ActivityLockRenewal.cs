using System.Collections.Concurrent;
using System.Reflection;
using DurableTask.Core;

namespace RollbackFunctions.Local;

/// <summary>
/// Keeps the queue message of every running activity invisible for as long as it runs. The Azure
/// Storage provider hides a taken message for a visibility timeout; if the process dies, another one
/// (or the restarted one) runs the activity after that timeout. A short timeout resumes a crashed
/// rollback quickly, but a revert that runs longer than it would be taken and run a second time:
/// the Durable Task Core dispatcher renews the message while the activity runs, the gRPC sidecar the
/// local runtime hosts does not, so this wrapper does, every third of the timeout.
/// </summary>
public class ActivityLockRenewal : OrchestrationServiceProxy
{
    private readonly ConcurrentDictionary<string, CancellationTokenSource> running = new(StringComparer.Ordinal);
    private TimeSpan every;
    private ILogger logger = null!;

    public static IOrchestrationService Wrap(IOrchestrationService service, TimeSpan visibilityTimeout, ILogger logger)
    {
        var renewal = Wrap<ActivityLockRenewal>(service);
        renewal.every = visibilityTimeout / 3;
        renewal.logger = logger;
        return (IOrchestrationService)(object)renewal;
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        switch (targetMethod!.Name)
        {
            case nameof(IOrchestrationService.LockNextTaskActivityWorkItem):
                return LockAndRenewAsync((Task<TaskActivityWorkItem>)Call(targetMethod, args)!);
            case nameof(IOrchestrationService.CompleteTaskActivityWorkItemAsync):
            case nameof(IOrchestrationService.AbandonTaskActivityWorkItemAsync):
                StopRenewing((TaskActivityWorkItem)args![0]!);
                return Call(targetMethod, args);
            default:
                return Call(targetMethod, args);
        }
    }

    private async Task<TaskActivityWorkItem> LockAndRenewAsync(Task<TaskActivityWorkItem> locking)
    {
        var workItem = await locking;
        if (workItem is not null)
        {
            var stop = new CancellationTokenSource();
            running[workItem.Id] = stop;
            _ = RenewUntilDoneAsync(workItem, stop.Token);
        }

        return workItem!;
    }

    private async Task RenewUntilDoneAsync(TaskActivityWorkItem workItem, CancellationToken done)
    {
        try
        {
            while (true)
            {
                await Task.Delay(every, done);
                try
                {
                    await Inner.RenewTaskActivityWorkItemLockAsync(workItem);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // Storage unavailable for a moment: try again next time; if it stays away the
                    // message reappears and the activity runs again, which executors are built for.
                    logger.LogWarning(e, "Could not renew the queue message of running activity {WorkItem}", workItem.Id);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // the activity finished
        }
    }

    private void StopRenewing(TaskActivityWorkItem workItem)
    {
        if (running.TryRemove(workItem.Id, out var stop))
        {
            stop.Cancel();
            stop.Dispose();
        }
    }
}
