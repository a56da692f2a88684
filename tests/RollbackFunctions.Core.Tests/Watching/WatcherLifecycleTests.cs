using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Tests.Orchestration;
using RollbackFunctions.Core.Tests.TestDoubles;
using RollbackFunctions.Core.Verification;
using RollbackFunctions.Core.Watching;
using static RollbackFunctions.Core.Tests.TestDoubles.ScriptedMetricSource;
using static RollbackFunctions.Testing.DeployBuilder;

namespace RollbackFunctions.Core.Tests.Watching;

/// <summary>
/// Issue 16, defects 1 and 2 on the in-process engine: the watcher judges only once the deploy
/// applied something, against the baseline taken before, and ends when the deploy is superseded or
/// abandoned (SAFETY.md 6).
/// </summary>
public sealed class WatcherLifecycleTests : IAsyncLifetime
{
    private static readonly ConditionCheck Errors = new() { Name = "errors", Query = "sum(rate(errors[1m]))", UnhealthyAbove = 0.05 };
    private readonly RollbackHarness harness = new();

    [Fact]
    public async Task Watch_HotfixWhileAlreadyFailing_JudgesNothingUntilApplied_ThenPagesAlreadyFailingOnce()
    {
        harness.Metrics.Then(Value(0.4));
        var hotfix = WatchHarness.Watched("hotfix", DeployMode.Act, Errors) with { Steps = [Step("only", StepStatus.Pending)] };
        var id = await WatchHarness.WatchAsync(harness, hotfix);
        await WatchHarness.ReportAsync(harness, "hotfix", w => w.State == WatchReport.Waiting && w.Note!.Contains("nothing applied"), "the watcher never waited for the first applied step");
        await Task.Delay(300); // six intervals: a watcher judging now would have breached
        Assert.Empty(harness.Launcher.Started);
        Assert.Equal(Verdict.Unhealthy, Assert.Single((await harness.Deploys.GetAsync("hotfix", default))!.Baseline!.Checks).Verdict);

        await harness.Deploys.UpdateAsync("hotfix", d => d.WithStepStatus("only", StepStatus.Applied, DateTimeOffset.UtcNow), default);
        await Eventually.HoldsAsync(() => Task.FromResult(harness.Pager.Notices.Any(n => n.Kind == "AlreadyFailing")), TimeSpan.FromSeconds(20), () => "no already-failing page");
        await Task.Delay(300);

        Assert.Empty(harness.Launcher.Started);
        var notice = Assert.Single(harness.Pager.Notices, n => n.Kind == "AlreadyFailing");
        Assert.Contains("already failing before this deploy", notice.Summary);
        Assert.Contains(((await harness.Deploys.GetAsync("hotfix", default))!).Notices, n => n.Kind == "AlreadyFailing" && n.Delivered);

        harness.Metrics.Then(Value(0.9)); // more than 1.5x worse than before the deploy: now it is the deploy's doing
        var result = await WatchHarness.EndedAsync(harness, id);

        Assert.StartsWith("breached", result.Ending);
        Assert.Single(harness.Launcher.Started);
    }

    [Fact]
    public async Task Watch_NewerDeployApplied_EndsSuperseded_WithoutActing()
    {
        harness.Metrics.Then(Value(0.01));
        var older = WatchHarness.Watched("older", DeployMode.Act, Errors);
        var id = await WatchHarness.WatchAsync(harness, older);
        await WatchHarness.ReportAsync(harness, "older", w => w.State == WatchReport.Watching, "the older deploy was never watched");

        // A newer deploy registered but not applied leaves the service to the older one ...
        await harness.Deploys.AddAsync(Record(id: "newer", registeredAt: DateTimeOffset.UtcNow.AddSeconds(1), steps: [Step("only", StepStatus.Pending)]), default);
        await Task.Delay(200);
        Assert.Equal(WatchReport.Watching, (await harness.Deploys.GetAsync("older", default))!.Watch!.State);

        // ... until it applies something.
        await harness.Deploys.UpdateAsync("newer", d => d.WithStepStatus("only", StepStatus.Applied, DateTimeOffset.UtcNow), default);
        harness.Metrics.Then(Value(0.4));
        var result = await WatchHarness.EndedAsync(harness, id);

        Assert.Contains("superseded by newer", result.Ending);
        Assert.Equal(DeployEnding.Superseded, (await harness.Deploys.GetAsync("older", default))!.Watch!.Reason);
        Assert.Empty(harness.Launcher.Started);
    }

    [Fact]
    public async Task Watch_ActiveDeploySilentPastTheTimeout_EndsAbandoned()
    {
        harness.Metrics.Then(Value(0.01));
        var silent = WatchHarness.Watched("silent", DeployMode.Act, Errors) with { Steps = [Step("only") with { UpdatedAt = DateTimeOffset.UtcNow }] };

        var result = await WatchHarness.EndedAsync(harness, await WatchHarness.WatchAsync(harness, silent, activeDeployTimeout: TimeSpan.FromMilliseconds(500)));

        Assert.Contains("ended: abandoned", result.Ending);
        Assert.Equal(DeployEnding.Abandoned, (await harness.Deploys.GetAsync("silent", default))!.Watch!.Reason);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => harness.DisposeAsync().AsTask();
}
