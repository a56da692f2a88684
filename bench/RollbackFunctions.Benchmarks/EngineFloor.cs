using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Worker;
using RollbackFunctions.Local;

/// <summary>
/// The durable engine's own floor for a reverse DAG: the local runtime's engine (the same
/// <see cref="DurableEngine"/>, settings and storage) running an orchestration that fans out
/// <c>steps</c> activities that do nothing, level by level, with nothing of the product around
/// them. First activity -> last activity per level is what any orchestration pays on this engine;
/// the product's figure less this one is what the product adds.
/// </summary>
internal sealed class EngineFloor : IAsyncDisposable
{
    private const string Orchestration = "FloorLevels";
    private const string Activity = "FloorNoOp";

    private readonly DurableEngine engine;
    private readonly IHost host;

    /// <summary>When each step's activity ran, by run and step, as Stopwatch timestamps.</summary>
    private readonly ConcurrentDictionary<(string Run, int Step), long> arrivals;

    private EngineFloor(DurableEngine engine, IHost host, ConcurrentDictionary<(string Run, int Step), long> arrivals)
    {
        this.engine = engine;
        this.host = host;
        this.arrivals = arrivals;
    }

    public static async Task<EngineFloor> StartAsync(string connectionString)
    {
        var arrivals = new ConcurrentDictionary<(string Run, int Step), long>();
        var engine = await DurableEngine.StartAsync(new DurableEngineOptions
        {
            ConnectionString = connectionString,
            TaskHub = $"floor{Guid.NewGuid():N}"[..20],
        });
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddDurableTaskWorker(worker =>
        {
            worker.UseGrpc(engine.Channel);
            worker.AddTasks(registry =>
            {
                registry.AddActivityFunc<int, int>(Activity, (activity, step) =>
                {
                    arrivals.TryAdd((activity.InstanceId, step), Stopwatch.GetTimestamp());
                    return step;
                });
                registry.AddOrchestratorFunc<int[], int>(Orchestration, async (context, shape) =>
                {
                    var (count, perLevel, withTimers) = (shape[0], shape[1], shape[2] == 1);
                    for (var first = 0; first < count; first += perLevel)
                    {
                        await Task.WhenAll(Enumerable.Range(first, perLevel).Select(step => StepAsync(context, step, withTimers)));
                    }

                    return count;
                });
            });
        });
        builder.Services.AddDurableTaskClient(client => client.UseGrpc(engine.Channel));
        var host = builder.Build();
        await host.StartAsync();
        return new EngineFloor(engine, host, arrivals);
    }

    /// <summary>Milliseconds from the first activity to the last, over <paramref name="levels"/> levels of <paramref name="steps"/> in all.</summary>
    public async Task<double> MeasureAsync(int steps, int levels, bool timerPerActivity)
    {
        var client = host.Services.GetRequiredService<DurableTaskClient>();
        var id = await client.ScheduleNewOrchestrationInstanceAsync(Orchestration, new[] { steps, steps / levels, timerPerActivity ? 1 : 0 });
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await client.WaitForInstanceCompletionAsync(id, timeout.Token);
        var times = arrivals.Where(a => a.Key.Run == id).Select(a => a.Value).ToList();
        return Stopwatch.GetElapsedTime(times.Min(), times.Max()).TotalMilliseconds;
    }

    public async ValueTask DisposeAsync()
    {
        await host.StopAsync();
        host.Dispose();
        await engine.DisposeAsync();
    }

    /// <summary>
    /// One no-op activity; with <paramref name="withTimer"/> raced against a durable timer that is
    /// cancelled when it wins, as the product races each revert against its deadline.
    /// </summary>
    private static async Task StepAsync(TaskOrchestrationContext context, int step, bool withTimer)
    {
        var call = context.CallActivityAsync<int>(Activity, step);
        if (!withTimer)
        {
            await call;
            return;
        }

        using var cancel = new CancellationTokenSource();
        var deadline = context.CreateTimer(TimeSpan.FromMinutes(10), cancel.Token);
        await Task.WhenAny(call, deadline);
        cancel.Cancel();
    }
}
