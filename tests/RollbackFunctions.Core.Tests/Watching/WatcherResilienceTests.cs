using RollbackFunctions.Core.Tests.Orchestration;
using RollbackFunctions.Core.Verification;
using RollbackFunctions.Core.Watching;
using static RollbackFunctions.Core.Tests.TestDoubles.ScriptedMetricSource;

namespace RollbackFunctions.Core.Tests.Watching;

/// <summary>Issue 16, defects 4 and 7 on the in-process engine: no fault and no refusal ends the watcher, and its warnings are retried until delivered.</summary>
public sealed class WatcherResilienceTests : IAsyncLifetime
{
    private static readonly ConditionCheck Errors = new() { Name = "errors", Query = "sum(rate(errors[1m]))", UnhealthyAbove = 0.05, ConsecutiveErrorLimit = 2 };
    private readonly RollbackHarness harness = new();

    /// <summary>A source that throws (an open circuit, a reply without <c>data</c>) was an orchestration failure: after 5 attempts the watcher was Failed.</summary>
    [Fact]
    public async Task Watch_SourceThrows_IsAnErrorSample_AndTheWatcherActsOnceItRecovers()
    {
        harness.Metrics.Then(Value(0.01), Throws(new KeyNotFoundException("The given key 'data' was not present in the dictionary.")));
        var id = await WatchHarness.WatchAsync(harness, WatchHarness.Watched("faulty", DeployMode.Act, Errors));
        await Eventually.HoldsAsync(() => Task.FromResult(harness.Metrics.Queries >= 8), TimeSpan.FromSeconds(20), () => "the watcher stopped sampling");
        var blind = await WatchHarness.ReportAsync(harness, "faulty", w => w.LastSamples.Any(s => s.Verdict == Verdict.Error), "no error sample recorded");
        Assert.Contains("KeyNotFoundException", blind.LastSamples[0].Detail);

        harness.Metrics.Then(Value(0.4));
        var result = await WatchHarness.EndedAsync(harness, id);

        Assert.StartsWith("breached", result.Ending);
        Assert.Single(harness.Pager.Notices, n => n.Kind == "CannotEvaluate");
    }

    /// <summary>A policy refusal ended the watcher: it never sampled again, so the deploy was never rolled back once the window allowed.</summary>
    [Fact]
    public async Task Watch_PolicyRefuses_KeepsSampling_AndRollsBackWhenThePolicyAllows()
    {
        harness.Launcher.RefusalsLeft = 2;
        harness.Metrics.Then(Value(0.01), Value(0.4));

        var result = await WatchHarness.EndedAsync(harness, await WatchHarness.WatchAsync(harness, WatchHarness.Watched("refused", DeployMode.Act, Errors)));

        Assert.Equal(2, harness.Launcher.Refused.Count);
        Assert.Single(harness.Launcher.Started);
        Assert.StartsWith("breached", result.Ending);
    }

    /// <summary>"Would roll back" was fire-and-forget: a pager blip meant on-call never heard. It is retried, and the deploy says it was delivered.</summary>
    [Fact]
    public async Task Watch_WouldRollBackPageFailsTwice_IsRetriedAndRecordedDelivered()
    {
        harness.Pager.NoticeFailuresLeft["WouldRollBack"] = 2;
        harness.Metrics.Then(Value(0.01), Value(0.4));
        await WatchHarness.WatchAsync(harness, WatchHarness.Watched("observed", DeployMode.Observe, Errors));

        var delivered = await Eventually.ReturnsAsync(
            async () => (await harness.Deploys.GetAsync("observed", default))!.Notices.FirstOrDefault(n => n.Kind == "WouldRollBack" && n.Delivered),
            TimeSpan.FromSeconds(20), () => "the would-roll-back notice was never delivered");

        Assert.Equal(3, delivered.Attempts);
        Assert.Single(harness.Pager.Notices, n => n.Kind == "WouldRollBack");
        Assert.Empty(harness.Launcher.Started);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => harness.DisposeAsync().AsTask();
}
