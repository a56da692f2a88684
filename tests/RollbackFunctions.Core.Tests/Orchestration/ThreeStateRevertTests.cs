using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Orchestration;
using static RollbackFunctions.Core.Tests.Orchestration.TargetTimeline;

namespace RollbackFunctions.Core.Tests.Orchestration;

/// <summary>
/// SAFETY.md 1 and 5 on the real engine: a revert restores the state from before the deploy only
/// while the target holds what the deploy made; a target already back is <c>unchanged</c>; anything
/// else is drift and waits for an operator.
/// </summary>
public sealed class ThreeStateRevertTests : IAsyncLifetime
{
    private readonly RollbackHarness harness = new();

    [Fact]
    public async Task Revert_TargetHoldsWhatTheDeployMade_RestoresBefore()
    {
        harness.Targets["app"] = "1.4.1";
        var timeline = await (await new TargetTimeline(harness.Targets).RegisterAsync(Step("rollout", "app"))).ApplyAsync("rollout", "1.4.2");

        var result = await harness.WaitAsync(await harness.StartAsync(timeline.Deploy));

        Assert.Equal(StepStatus.Reverted, result.Steps["rollout"]);
        Assert.Equal("1.4.1", harness.Targets["app"]);
    }

    [Fact]
    public async Task Revert_HotfixAfterApplied_WaitsForAnOperatorWithDrift_AndRejectedKeepsTheHotfix()
    {
        harness.Targets["app"] = "1.4.1";
        var timeline = await (await new TargetTimeline(harness.Targets).RegisterAsync(Step("rollout", "app"))).ApplyAsync("rollout", "1.4.2");
        harness.Targets["app"] = "1.4.2-hotfix"; // pushed by hand after the deploy

        var id = await harness.StartAsync(timeline.Deploy);
        await harness.WaitForApprovalRequestAsync(id, "rollout");
        var row = (await harness.Rollbacks.GetStepAsync(id, "rollout", default))!;
        Assert.StartsWith("drift:", row.Detail);
        Assert.Contains("1.4.2-hotfix", row.Detail);
        Assert.Equal("1.4.2-hotfix", harness.Targets["app"]);

        await harness.RaiseAsync(id, RollbackEvents.Approval("rollout"), new OperatorDecision(false, "alice", "the hotfix is right"));
        var result = await harness.WaitAsync(id);

        Assert.Equal(StepStatus.NotApproved, result.Steps["rollout"]);
        Assert.Equal("1.4.2-hotfix", harness.Targets["app"]);
        Assert.Empty(harness.Targets.Writes);
    }

    [Fact]
    public async Task Revert_DriftApproved_RestoresBeforeAnyway()
    {
        harness.Targets["app"] = "1.4.1";
        var timeline = await (await new TargetTimeline(harness.Targets).RegisterAsync(Step("rollout", "app"))).ApplyAsync("rollout", "1.4.2");
        harness.Targets["app"] = "1.4.3"; // a newer deploy of the same service

        var id = await harness.StartAsync(timeline.Deploy);
        await harness.WaitForApprovalRequestAsync(id, "rollout");
        var shown = (await harness.Rollbacks.GetStepAsync(id, "rollout", default))!.PlanDigest; // the drift's digest, as the approve route passes it on
        await harness.RaiseAsync(id, RollbackEvents.Approval("rollout"), new OperatorDecision(true, "alice", "1.4.3 is broken too", shown));
        var result = await harness.WaitAsync(id);

        Assert.Equal(StepStatus.Reverted, result.Steps["rollout"]);
        Assert.Equal("1.4.1", harness.Targets["app"]);
    }

    [Fact]
    public async Task Revert_TargetAlreadyBackAtBefore_IsUnchangedNotReverted()
    {
        harness.Targets["app"] = "1.4.1";
        var timeline = await (await new TargetTimeline(harness.Targets).RegisterAsync(Step("rollout", "app"))).ApplyAsync("rollout", "1.4.2");
        harness.Targets["app"] = "1.4.1"; // someone put it back by hand

        var id = await harness.StartAsync(timeline.Deploy);
        var result = await harness.WaitAsync(id);

        Assert.Equal(StepStatus.Unchanged, result.Steps["rollout"]);
        Assert.Empty(harness.Targets.Writes);
        Assert.Contains("unchanged", result.Summary);
        Assert.Contains("reverted nothing", result.Summary);
        Assert.Equal(StepStatus.Unchanged, (await harness.Rollbacks.GetStepAsync(id, "rollout", default))!.Status);
    }

    [Fact]
    public async Task Revert_CrashAfterWriting_RetryReportsReverted()
    {
        harness.Targets["app"] = "1.4.1";
        var timeline = await (await new TargetTimeline(harness.Targets).RegisterAsync(Step("rollout", "app"))).ApplyAsync("rollout", "1.4.2");
        harness.Targets.CrashOnce("app", afterWriting: true);

        var result = await harness.WaitAsync(await harness.StartAsync(timeline.Deploy));

        Assert.Equal(StepStatus.Reverted, result.Steps["rollout"]);
        Assert.Single(harness.Targets.Writes);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await harness.DisposeAsync();
}
