using System.Collections.Concurrent;
using System.Reflection;
using DurableTask.Core;
using DurableTask.Core.History;
using RollbackFunctions.Local;

namespace RollbackFunctions.Infrastructure.Tests.Durable;

/// <summary>
/// The guard between the storage provider and the gRPC sidecar: a second message scheduling an
/// activity that already runs in this process is not handed to the sidecar (which would wait for
/// its answer for ever), and is settled with the first copy. The provider here is a stand-in that
/// hands out queued work items and records what it is told: the guard is tested at its interface.
/// </summary>
public sealed class DuplicateActivityGuardTests
{
    [Fact]
    public async Task SecondCopyOfARunningActivity_IsParked_ThenCompletedWithTheFirstCopysResult()
    {
        var provider = Provider.Create(Item("m1", "rb-1", 3), Item("m2", "rb-1", 3), Item("m3", "rb-1", 4));
        var guard = DuplicateActivityGuard.Wrap(provider);

        var first = await guard.LockNextTaskActivityWorkItem(TimeSpan.Zero, CancellationToken.None);
        var duplicate = await guard.LockNextTaskActivityWorkItem(TimeSpan.Zero, CancellationToken.None);
        var other = await guard.LockNextTaskActivityWorkItem(TimeSpan.Zero, CancellationToken.None);

        Assert.Equal("m1", first.Id);
        Assert.Null(duplicate);
        Assert.Equal("m3", other.Id);
        Assert.Empty(Recorder.Of(provider).Completed);

        var result = new TaskMessage { Event = new TaskCompletedEvent(-1, 3, "\"done\"") };
        await guard.CompleteTaskActivityWorkItemAsync(first, result);

        Assert.Equal(["m1", "m2"], Recorder.Of(provider).Completed.Select(c => c.WorkItem));
        Assert.All(Recorder.Of(provider).Completed, c => Assert.Same(result, c.Result));
    }

    [Fact]
    public async Task FirstCopyAbandoned_ParkedCopiesAreAbandonedToo_AndTheTaskCanRunAgain()
    {
        var provider = Provider.Create(Item("m1", "rb-1", 3), Item("m2", "rb-1", 3), Item("m4", "rb-1", 3));
        var guard = DuplicateActivityGuard.Wrap(provider);
        var first = await guard.LockNextTaskActivityWorkItem(TimeSpan.Zero, CancellationToken.None);
        Assert.Null(await guard.LockNextTaskActivityWorkItem(TimeSpan.Zero, CancellationToken.None));

        await guard.AbandonTaskActivityWorkItemAsync(first);

        Assert.Equal(["m1", "m2"], Recorder.Of(provider).Abandoned);
        Assert.Equal("m4", (await guard.LockNextTaskActivityWorkItem(TimeSpan.Zero, CancellationToken.None)).Id);
    }

    [Fact]
    public async Task SameTaskIdInAnotherExecution_IsNotADuplicate()
    {
        var provider = Provider.Create(Item("m1", "rb-1", 3), Item("m2", "rb-1", 3, execution: "e2"));
        var guard = DuplicateActivityGuard.Wrap(provider);

        Assert.NotNull(await guard.LockNextTaskActivityWorkItem(TimeSpan.Zero, CancellationToken.None));
        Assert.NotNull(await guard.LockNextTaskActivityWorkItem(TimeSpan.Zero, CancellationToken.None));
    }

    private static TaskActivityWorkItem Item(string messageId, string instance, int taskId, string execution = "e1") => new()
    {
        Id = messageId,
        TaskMessage = new TaskMessage
        {
            OrchestrationInstance = new OrchestrationInstance { InstanceId = instance, ExecutionId = execution },
            Event = new TaskScheduledEvent(taskId, "RevertStep"),
        },
    };

    private static class Provider
    {
        public static IOrchestrationService Create(params TaskActivityWorkItem[] queued)
        {
            var proxy = DispatchProxy.Create<IOrchestrationService, Recorder>();
            foreach (var item in queued)
            {
                Recorder.Of(proxy).Queue.Enqueue(item);
            }

            return proxy;
        }
    }

    /// <summary>Hands out the queued work items and records completions and abandonments.</summary>
    public class Recorder : DispatchProxy
    {
        public ConcurrentQueue<TaskActivityWorkItem> Queue { get; } = new();
        public List<(string WorkItem, TaskMessage Result)> Completed { get; } = [];
        public List<string> Abandoned { get; } = [];

        public static Recorder Of(IOrchestrationService service) => (Recorder)(object)service;

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            switch (targetMethod!.Name)
            {
                case nameof(IOrchestrationService.LockNextTaskActivityWorkItem):
                    return Task.FromResult(Queue.TryDequeue(out var item) ? item : null);
                case nameof(IOrchestrationService.CompleteTaskActivityWorkItemAsync):
                    Completed.Add((((TaskActivityWorkItem)args![0]!).Id, (TaskMessage)args[1]!));
                    return Task.CompletedTask;
                case nameof(IOrchestrationService.AbandonTaskActivityWorkItemAsync):
                    Abandoned.Add(((TaskActivityWorkItem)args![0]!).Id);
                    return Task.CompletedTask;
                default:
                    throw new NotSupportedException(targetMethod.Name);
            }
        }
    }
}
