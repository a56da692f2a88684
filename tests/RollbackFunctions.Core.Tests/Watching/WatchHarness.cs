using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Tests.Orchestration;
using RollbackFunctions.Core.Verification;
using RollbackFunctions.Core.Watching;
using static RollbackFunctions.Testing.DeployBuilder;

namespace RollbackFunctions.Core.Tests.Watching;

/// <summary>Starts and awaits watchers on the in-process engine of a <see cref="RollbackHarness"/>.</summary>
internal static class WatchHarness
{
    /// <summary>A deploy registered now (so it is not abandoned), one applied step, the checks watched every 50 ms.</summary>
    public static DeployRecord Watched(string id, DeployMode mode, params ConditionCheck[] checks) =>
        Record(id: id, registeredAt: DateTimeOffset.UtcNow, steps: [Step("only")]) with
        {
            Mode = mode,
            Conditions = new RollbackConditions { Checks = [.. checks], WatchInterval = TimeSpan.FromMilliseconds(50) },
        };

    public static async Task<string> WatchAsync(RollbackHarness harness, DeployRecord deploy, int roundsPerGeneration = 40, TimeSpan? activeDeployTimeout = null, bool store = true)
    {
        if (store)
        {
            await harness.Deploys.AddAsync(deploy, default);
        }

        var host = await harness.HostAsync();
        var id = DeployWatchOrchestrator.InstanceIdFor(deploy.DeployId);
        await host.Client.ScheduleNewOrchestrationInstanceAsync(
            nameof(DeployWatchOrchestrator),
            new WatchRequest(deploy.DeployId, TimeSpan.Zero, new Dictionary<string, CheckStreak>(), roundsPerGeneration, activeDeployTimeout, NoticeFirstRetry: TimeSpan.FromMilliseconds(50)),
            new StartOrchestrationOptions(id));
        return id;
    }

    public static async Task<WatchResult> EndedAsync(RollbackHarness harness, string instanceId)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var state = await harness.Client.WaitForInstanceCompletionAsync(instanceId, getInputsAndOutputs: true, timeout.Token);
        Assert.True(state.RuntimeStatus == OrchestrationRuntimeStatus.Completed, $"{state.RuntimeStatus}: {state.FailureDetails?.ErrorMessage}");
        return state.ReadOutputAs<WatchResult>()!;
    }

    /// <summary>Waits until the deploy's watch report satisfies <paramref name="condition"/>.</summary>
    public static async Task<WatchReport> ReportAsync(RollbackHarness harness, string deployId, Func<WatchReport, bool> condition, string what) =>
        await Eventually.ReturnsAsync(
            async () => (await harness.Deploys.GetAsync(deployId, default))?.Watch is { } w && condition(w) ? w : null,
            TimeSpan.FromSeconds(20),
            () => what);
}
