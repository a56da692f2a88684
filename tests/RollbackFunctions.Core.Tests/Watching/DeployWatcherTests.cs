using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Notifications;
using RollbackFunctions.Core.Tests.Orchestration;
using RollbackFunctions.Core.Tests.TestDoubles;
using RollbackFunctions.Core.Verification;
using RollbackFunctions.Core.Watching;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using static RollbackFunctions.Testing.DeployBuilder;

namespace RollbackFunctions.Core.Tests.Watching;

/// <summary>The watcher on the in-process Durable engine: timers, replay and ContinueAsNew included.</summary>
public sealed class DeployWatcherTests : IAsyncLifetime
{
    private static readonly ConditionCheck ErrorRatio = new() { Name = "errors", Query = "sum(rate(errors[1m]))", UnhealthyAbove = 0.05 };
    private readonly RollbackHarness harness = new();

    private Task<string> WatchAsync(DeployRecord deploy, int roundsPerGeneration = 40) => WatchHarness.WatchAsync(harness, deploy, roundsPerGeneration);

    private Task<WatchResult> EndedAsync(string instanceId) => WatchHarness.EndedAsync(harness, instanceId);

    private static DeployRecord Watched(string id, DeployMode mode = DeployMode.Act, params ConditionCheck[] checks) => WatchHarness.Watched(id, mode, checks.Length == 0 ? [ErrorRatio] : checks);

    /// <summary>The first round is the pre-deploy baseline: a healthy one, then the script.</summary>
    private static readonly MetricQueryResult HealthyBaseline = ScriptedMetricSource.Value(0.01);

    [Fact]
    public async Task Watch_BreachForFailureLimitSamples_StartsOneRollbackWithTheEvidence()
    {
        harness.Metrics.Then(HealthyBaseline, ScriptedMetricSource.Value(0.01), ScriptedMetricSource.Value(0.3), ScriptedMetricSource.Value(0.4));

        var result = await EndedAsync(await WatchAsync(Watched("w1")));

        var (deployId, trigger) = Assert.Single(harness.Launcher.Started);
        Assert.Equal("w1", deployId);
        Assert.Equal("watcher", trigger.Kind);
        var breach = Assert.Single(trigger.Breaches);
        Assert.Equal(("errors", "sum(rate(errors[1m]))", 0.4, "above 0.05", 2), (breach.Check, breach.Query, breach.Value, breach.Threshold, breach.SamplesInARow));
        Assert.Contains("0.4 is above 0.05", trigger.Reason);
        Assert.StartsWith("breached", result.Ending);
        Assert.Equal(4, harness.Metrics.Queries);
        var watch = (await harness.Deploys.GetAsync("w1", default))!.Watch!;
        Assert.Equal("breached", watch.State);
        Assert.Equal(Verdict.Unhealthy, Assert.Single(watch.LastSamples).Verdict);
    }

    [Fact]
    public async Task Watch_ObserveMode_PagesWouldRollBack_AndRollsNothingBack()
    {
        harness.Metrics.Then(HealthyBaseline, ScriptedMetricSource.Value(0.3), ScriptedMetricSource.Value(0.3), ScriptedMetricSource.Value(0.3), ScriptedMetricSource.Value(0.01));
        var id = await WatchAsync(Watched("w2", DeployMode.Observe));
        await Eventually.HoldsAsync(() => Task.FromResult(harness.Metrics.Queries >= 6), TimeSpan.FromSeconds(20), () => "the watcher stopped sampling");

        await harness.Deploys.UpdateAsync("w2", d => d with { State = DeployState.Baking, CompletedAt = DateTimeOffset.UtcNow.AddHours(-2) }, default); // the bake window passed
        var result = await EndedAsync(id);

        Assert.Empty(harness.Launcher.Started);
        var notice = Assert.Single(harness.Pager.Notices);
        Assert.Equal("WouldRollBack", notice.Kind);
        Assert.Contains("would roll back checkout 1.4.2 in prod (observe mode): errors 0.3 is above 0.05", notice.Summary);
        Assert.Contains("ended: stable", result.Ending);
        Assert.Equal("stable", (await harness.Deploys.GetAsync("w2", default))!.Watch!.Reason);
    }

    [Fact]
    public async Task Watch_DryRunCheck_ReportsOnly_WhileAnotherCheckStillActs()
    {
        var dry = ErrorRatio with { Name = "latency", DryRun = true };
        harness.Metrics.Then(HealthyBaseline, HealthyBaseline, ScriptedMetricSource.Value(0.3));

        await EndedAsync(await WatchAsync(Watched("w3", DeployMode.Act, dry, ErrorRatio)));

        var (_, trigger) = Assert.Single(harness.Launcher.Started);
        Assert.Contains("errors", trigger.Reason);
        Assert.DoesNotContain("latency", trigger.Reason);
        Assert.Contains(trigger.Breaches, b => b.Check == "latency" && b.DryRun);
    }

    [Fact]
    public async Task Watch_QueriesFail_PagesCannotEvaluateOnce_AndNeverRollsBack()
    {
        harness.Metrics.Then(MetricQueryResult.Failed("HTTP 400 bad_data: parse error"));
        var id = await WatchAsync(Watched("w4", DeployMode.Act, ErrorRatio with { ConsecutiveErrorLimit = 2 }));
        await Eventually.HoldsAsync(() => Task.FromResult(harness.Metrics.Queries >= 6), TimeSpan.FromSeconds(20), () => "the watcher stopped sampling");

        await harness.Deploys.UpdateAsync("w4", d => d with { State = DeployState.Halted }, default);
        await EndedAsync(id);

        Assert.Empty(harness.Launcher.Started);
        var notice = Assert.Single(harness.Pager.Notices);
        Assert.Equal("CannotEvaluate", notice.Kind);
        Assert.Contains("cannot evaluate errors", notice.Summary);
        Assert.Contains("parse error", notice.Summary);
    }

    [Fact]
    public async Task Watch_ManyRounds_ContinuesAsNew_AndKeepsItsCount()
    {
        // Three rounds per generation (the baseline is the first): the second unhealthy sample lands in the next generation.
        harness.Metrics.Then(HealthyBaseline, ScriptedMetricSource.Value(0.01), ScriptedMetricSource.Value(0.3), ScriptedMetricSource.Value(0.3));

        var result = await EndedAsync(await WatchAsync(Watched("w5"), roundsPerGeneration: 3));

        Assert.StartsWith("breached", result.Ending);
        Assert.Equal(2, Assert.Single(Assert.Single(harness.Launcher.Started).Trigger.Breaches).SamplesInARow);
    }

    [Fact]
    public async Task Watch_DeployWithoutChecks_EndsAtOnce() =>
        Assert.Contains("no checks", (await EndedAsync(await WatchAsync(Record(id: "w6", registeredAt: DateTimeOffset.UtcNow, steps: [Step("only")])))).Ending);

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => harness.DisposeAsync().AsTask();
}
