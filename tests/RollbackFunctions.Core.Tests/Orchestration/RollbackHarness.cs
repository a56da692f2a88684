using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Testing;
using Microsoft.Extensions.DependencyInjection;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Executors;
using RollbackFunctions.Core.Orchestration;
using RollbackFunctions.Core.Ports;
using RollbackFunctions.Core.Rollbacks;
using RollbackFunctions.Core.Tests.TestDoubles;

namespace RollbackFunctions.Core.Tests.Orchestration;

/// <summary>
/// Runs <see cref="RollbackOrchestrator"/> on the real in-process Durable engine (replay,
/// serialization and retries included) with in-memory stores and a scripted executor.
/// </summary>
internal sealed class RollbackHarness : IAsyncDisposable
{
    /// <summary>Retries shrunk so a test waits milliseconds, not seconds.</summary>
    public static readonly RollbackSettings FastSettings = new(StepMaxAttempts: 3, StepFirstRetryInterval: TimeSpan.FromMilliseconds(50), StepBackoffCoefficient: 1);

    private DurableTaskTestHost? host;

    public ScriptedExecutor Executor { get; } = new();
    public InMemoryDeployStore Deploys { get; } = new();
    public InMemoryRollbackStore Rollbacks { get; } = new();

    public async Task<RollbackResult> RunAsync(IReadOnlyList<DeployStep> steps, RollbackSettings? settings = null)
    {
        var deploy = TestDoubles.Deploys.Record(id: $"d-{Guid.NewGuid():N}", steps: steps);
        await Deploys.AddAsync(deploy, CancellationToken.None);
        var rollbackId = Identifiers.RollbackIdFor(deploy.DeployId);
        await Rollbacks.TryClaimAsync(
            new RollbackRecord
            {
                RollbackId = rollbackId,
                DeployId = deploy.DeployId,
                Phase = RollbackPhase.Halting,
                Trigger = new RollbackTrigger("manual", "test", "test", []),
                ClaimedAt = DateTimeOffset.UtcNow,
            },
            CancellationToken.None);

        host ??= await DurableTaskTestHost.StartAsync(
            registry => registry.AddRollbackTasks(),
            new DurableTaskTestHostOptions
            {
                ConfigureServices = services => services
                    .AddSingleton(TimeProvider.System)
                    .AddSingleton<IDeployStore>(Deploys)
                    .AddSingleton<IRollbackStore>(Rollbacks)
                    .AddSingleton(new StepExecutorCatalog([Executor])),
            });

        var instanceId = await host.Client.ScheduleNewOrchestrationInstanceAsync(
            nameof(RollbackOrchestrator),
            new RollbackRequest(rollbackId, deploy.DeployId, settings ?? FastSettings),
            new StartOrchestrationOptions(rollbackId));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var state = await host.Client.WaitForInstanceCompletionAsync(instanceId, getInputsAndOutputs: true, timeout.Token);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, state.RuntimeStatus);
        return state.ReadOutputAs<RollbackResult>()!;
    }

    public async Task<DeployRecord> DeployOf(RollbackResult result) =>
        (await Deploys.GetAsync(result.RollbackId["rb-".Length..], CancellationToken.None))!;

    public async ValueTask DisposeAsync()
    {
        if (host is not null)
        {
            await host.DisposeAsync();
        }
    }
}
