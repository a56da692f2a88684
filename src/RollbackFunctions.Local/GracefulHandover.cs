using System.Reflection;
using DurableTask.Core;

namespace RollbackFunctions.Local;

/// <summary>
/// Hands this process's share of the task hub to its successor on a graceful stop, so that a
/// restarted or redeployed runtime picks up rollbacks at once instead of after the partition leases
/// expire. The gRPC sidecar stops its dispatchers and the provider from an <c>async void</c> callback
/// that nothing awaits, and only once every work item it handed out is answered (never, once the
/// worker is gone); the process exited first, its leases were never released, and the successor
/// waited out <see cref="DurableEngineOptions.VisibilityTimeout"/>. A running activity's result was
/// lost too (the worker's completion call cancelled), so its revert ran again.
/// <para>
/// <see cref="HandOverAsync"/> stops handing out activities, lets the running ones finish (their
/// results land while the worker is still connected), gives back those still running after the
/// drain limit (their messages reappear for the successor), then stops the provider, which drains
/// its control queues and releases its partition leases (the table partition manager writes the
/// partitions ownerless; a successor claims an ownerless partition on its next pass).
/// </para>
/// </summary>
public class GracefulHandover : OrchestrationServiceProxy
{
    private static readonly TimeSpan PollEvery = TimeSpan.FromMilliseconds(50);

    private readonly object gate = new();
    private readonly Dictionary<string, TaskActivityWorkItem> running = new(StringComparer.Ordinal);
    private readonly HashSet<string> settling = new(StringComparer.Ordinal);
    private readonly HashSet<string> givenBack = new(StringComparer.Ordinal);

    /// <summary>
    /// Results of activities that finished during the drain, until an orchestration work item here
    /// takes them in: the provider reads a result into memory as soon as it is sent, and stopped
    /// before handing it on it would leave it hidden from the successor for the visibility timeout.
    /// Keyed by instance and task id, with when it finished (one for another process's partition is
    /// never taken in here; it is waited for only <see cref="ResultPickupLimit"/>).
    /// </summary>
    private readonly Dictionary<(string Instance, int TaskId), DateTime> resultsInFlight = [];

    private static readonly TimeSpan ResultPickupLimit = TimeSpan.FromSeconds(2);

    /// <summary>Cancelled when activities are no longer handed out.</summary>
    private readonly CancellationTokenSource draining = new();

    /// <summary>Cancelled when orchestrations are no longer handed out (the provider is stopping).</summary>
    private readonly CancellationTokenSource stopping = new();

    private ILogger logger = null!;
    private Task? handover;
    private Task? stopped;

    public static GracefulHandover Wrap(IOrchestrationService service, ILogger logger)
    {
        var proxy = Wrap<GracefulHandover>(service);
        proxy.logger = logger;
        return proxy;
    }

    /// <summary>This wrapper as the service the sidecar is given.</summary>
    public IOrchestrationService Service => (IOrchestrationService)(object)this;

    /// <summary>
    /// Finishes or gives back the work items in flight (waiting at most <paramref name="drainLimit"/>
    /// for running activities), then stops the provider, releasing its partitions. Runs once; later calls
    /// return the same task.
    /// </summary>
    public Task HandOverAsync(TimeSpan drainLimit, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            return handover ??= HandOverCoreAsync(drainLimit, cancellationToken);
        }
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args) => targetMethod!.Name switch
    {
        nameof(IOrchestrationService.LockNextTaskActivityWorkItem) => LockActivityAsync((TimeSpan)args![0]!, (CancellationToken)args[1]!),
        nameof(IOrchestrationService.LockNextTaskOrchestrationWorkItemAsync) => LockOrchestrationAsync((TimeSpan)args![0]!, (CancellationToken)args[1]!),
        nameof(IOrchestrationService.CompleteTaskActivityWorkItemAsync) or nameof(IOrchestrationService.AbandonTaskActivityWorkItemAsync) => SettleAsync(targetMethod, args!),
        nameof(IOrchestrationService.StopAsync) => StopOnceAsync(args is [true]),
        _ => Call(targetMethod, args),
    };

    private async Task HandOverCoreAsync(TimeSpan drainLimit, CancellationToken cancellationToken)
    {
        await draining.CancelAsync();
        lock (gate)
        {
            LocalLog.HandingOver(logger, running.Count, drainLimit);
        }

        var finished = await UntilAsync(() => running.Count == 0 && settling.Count == 0 && !ResultsAwaitPickup(), drainLimit, cancellationToken);
        if (!finished)
        {
            await GiveBackRunningAsync();
            await UntilAsync(() => settling.Count == 0, drainLimit, cancellationToken);
        }

        await StopOnceAsync(forced: !finished).WaitAsync(cancellationToken);
        LocalLog.HandedOver(logger);
    }

    private async Task<TaskActivityWorkItem?> LockActivityAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (!draining.IsCancellationRequested)
        {
            var workItem = await LockUnlessAsync(token => Inner.LockNextTaskActivityWorkItem(timeout, token), draining.Token, cancellationToken);
            if (workItem is null && !draining.IsCancellationRequested)
            {
                return null;
            }

            if (workItem is not null)
            {
                lock (gate)
                {
                    if (!draining.IsCancellationRequested)
                    {
                        running[workItem.Id] = workItem;
                        return workItem;
                    }
                }

                // Taken from the queue just as the drain began: the successor runs it.
                await Inner.AbandonTaskActivityWorkItemAsync(workItem);
            }
        }

        return await ParkAsync<TaskActivityWorkItem>(cancellationToken);
    }

    private async Task<TaskOrchestrationWorkItem?> LockOrchestrationAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        // Not cut short when the stop begins: a message the provider already read into memory is
        // only handed on through this call, and one left there stays hidden from the successor for
        // the visibility timeout. The provider's own stop ends the call.
        if (await Inner.LockNextTaskOrchestrationWorkItemAsync(timeout, cancellationToken) is { } workItem)
        {
            NotePickups(workItem);
            return workItem;
        }

        // A stopped provider answers at once with nothing, and the dispatcher would ask again in a tight loop.
        return stopping.IsCancellationRequested ? await ParkAsync<TaskOrchestrationWorkItem>(cancellationToken) : null;
    }

    /// <summary>Locks through <paramref name="lockAsync"/>, giving up (null) when <paramref name="unless"/> is cancelled.</summary>
    private static async Task<T?> LockUnlessAsync<T>(Func<CancellationToken, Task<T>> lockAsync, CancellationToken unless, CancellationToken cancellationToken)
        where T : class
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, unless);
        try
        {
            return await lockAsync(linked.Token);
        }
        catch (OperationCanceledException) when (unless.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    /// <summary>Waits until the dispatcher itself stops (its token cancelled), as its loop expects.</summary>
    private static async Task<T?> ParkAsync<T>(CancellationToken cancellationToken)
        where T : class
    {
        await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken);
        return null;
    }

    private async Task SettleAsync(MethodInfo method, object?[] args)
    {
        var id = ((TaskActivityWorkItem)args[0]!).Id;
        lock (gate)
        {
            if (givenBack.Contains(id))
            {
                return; // its message was given back at the stop and belongs to the successor now
            }

            settling.Add(id);
        }

        try
        {
            await (Task)Call(method, args)!;
            if (draining.IsCancellationRequested && method.Name == nameof(IOrchestrationService.CompleteTaskActivityWorkItemAsync))
            {
                var scheduled = (TaskActivityWorkItem)args[0]!;
                lock (gate)
                {
                    resultsInFlight[(scheduled.TaskMessage.OrchestrationInstance.InstanceId, scheduled.TaskMessage.Event.EventId)] = DateTime.UtcNow;
                }
            }
        }
        finally
        {
            lock (gate)
            {
                settling.Remove(id);
                running.Remove(id);
            }
        }
    }

    private async Task GiveBackRunningAsync()
    {
        List<TaskActivityWorkItem> left;
        lock (gate)
        {
            left = running.Values.Where(w => !settling.Contains(w.Id)).ToList();
            foreach (var workItem in left)
            {
                givenBack.Add(workItem.Id);
                running.Remove(workItem.Id);
            }
        }

        foreach (var workItem in left)
        {
            LocalLog.ActivityGivenBack(logger, workItem.TaskMessage.OrchestrationInstance.InstanceId, ((DurableTask.Core.History.TaskScheduledEvent)workItem.TaskMessage.Event).Name ?? "");
            await Inner.AbandonTaskActivityWorkItemAsync(workItem);
        }
    }

    private void NotePickups(TaskOrchestrationWorkItem workItem)
    {
        lock (gate)
        {
            if (resultsInFlight.Count == 0)
            {
                return;
            }

            foreach (var message in workItem.NewMessages)
            {
                var taskId = message.Event switch
                {
                    DurableTask.Core.History.TaskCompletedEvent completed => completed.TaskScheduledId,
                    DurableTask.Core.History.TaskFailedEvent failed => failed.TaskScheduledId,
                    _ => -1,
                };
                resultsInFlight.Remove((workItem.InstanceId, taskId));
            }
        }
    }

    /// <summary>Whether an activity result sent during the drain may still be taken in here (called under the gate).</summary>
    private bool ResultsAwaitPickup() => resultsInFlight.Values.Any(finished => DateTime.UtcNow - finished < ResultPickupLimit);

    private Task StopOnceAsync(bool forced)
    {
        lock (gate)
        {
            if (stopped is null)
            {
                draining.Cancel();
                stopping.Cancel();
                stopped = Inner.StopAsync(forced);
            }

            return stopped;
        }
    }

    private async Task<bool> UntilAsync(Func<bool> done, TimeSpan limit, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + limit;
        while (true)
        {
            lock (gate)
            {
                if (done())
                {
                    return true;
                }
            }

            if (DateTime.UtcNow >= deadline)
            {
                return false;
            }

            await Task.Delay(PollEvery, cancellationToken);
        }
    }
}
