using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Notifications;
using RollbackFunctions.Core.Rollbacks;
using static RollbackFunctions.Testing.DeployBuilder;

namespace RollbackFunctions.Core.Tests.Orchestration;

public sealed class RollbackOrchestratorTests : IAsyncLifetime
{
    private readonly RollbackHarness harness = new();

    [Fact]
    public async Task Run_Diamond_RevertsInReverseDependencyOrderAndSucceeds()
    {
        var result = await harness.RunAsync(Diamond());

        var calls = harness.Executor.Calls;
        Assert.Equal("rollout", calls[0]);
        Assert.Equal(["config", "flags"], calls.Skip(1).Take(2).Order());
        Assert.Equal("schema", calls[3]);
        Assert.Equal(RollbackPhase.Succeeded, result.Phase);
        Assert.All(result.Steps.Values, status => Assert.Equal(StepStatus.Reverted, status));
        var deploy = await harness.DeployOf(result.RollbackId);
        Assert.Equal(DeployState.RolledBack, deploy.State);
        Assert.All(deploy.Steps, s => Assert.Equal(StepStatus.Reverted, s.Status));
    }

    [Fact]
    public async Task Run_IndependentStepsOfOneLevel_RunInParallel()
    {
        // Long enough that a busy machine cannot make sequential reverts look overlapping or parallel ones not.
        harness.Executor.Delays["config"] = TimeSpan.FromSeconds(2);
        harness.Executor.Delays["flags"] = TimeSpan.FromSeconds(2);

        await harness.RunAsync(Diamond());

        var started = harness.Executor.FirstCallAt;
        var finished = harness.Executor.FinishedAt;
        Assert.True(started["flags"] < finished["config"] && started["config"] < finished["flags"], "config and flags reverts must overlap");
    }

    [Fact]
    public async Task Run_DeployIsHaltedBeforeTheFirstRevert()
    {
        var statesSeen = new List<DeployState>();
        harness.Executor.BeforeRevert = _ => statesSeen.Add(harness.Deploys.GetAsync(harness.Deploys.FindAsync("checkout", "prod", default).Result.Single().DeployId, default).Result!.State);

        await harness.RunAsync([Step("only")]);

        Assert.Equal([DeployState.Halted], statesSeen);
    }

    [Fact]
    public async Task Run_StepFailsForGood_BlocksWhatDependsOnItAndContinuesIndependentBranches()
    {
        harness.Executor.Failing.Add("a2");
        var steps = new[] { Step("a1"), Step("a2", dependsOn: "a1"), Step("b1"), Step("b2", dependsOn: "b1") };

        var result = await harness.RunAsync(steps);

        Assert.Equal(RollbackPhase.Failed, result.Phase);
        Assert.Equal(StepStatus.RevertFailed, result.Steps["a2"]);
        Assert.Equal(StepStatus.Blocked, result.Steps["a1"]);
        Assert.Equal(StepStatus.Reverted, result.Steps["b1"]);
        Assert.Equal(StepStatus.Reverted, result.Steps["b2"]);
        Assert.DoesNotContain("a1", harness.Executor.Calls);
        Assert.Contains("a1 (Blocked)", result.Summary);
        Assert.Equal(DeployState.RollbackFailed, (await harness.DeployOf(result.RollbackId)).State);
    }

    [Fact]
    public async Task Run_ExecutorThrowsOnce_IsRetriedAndSucceeds()
    {
        harness.Executor.ThrowTimes("only", 1);

        var result = await harness.RunAsync([Step("only")]);

        Assert.Equal(StepStatus.Reverted, result.Steps["only"]);
        Assert.Equal(2, harness.Executor.Calls.Count);
        var row = await harness.Rollbacks.GetStepAsync(result.RollbackId, "only", default);
        Assert.Equal(2, row!.Attempts);
    }

    [Fact]
    public async Task Run_ExecutorThrowsOnEveryAttempt_StepRevertFailedAfterMaxAttempts()
    {
        harness.Executor.ThrowTimes("only", 100);

        var result = await harness.RunAsync([Step("only")]);

        Assert.Equal(StepStatus.RevertFailed, result.Steps["only"]);
        Assert.Equal(RollbackHarness.FastSettings.StepMaxAttempts, harness.Executor.Calls.Count);
        Assert.Equal(RollbackPhase.Failed, result.Phase);
        var row = await harness.Rollbacks.GetStepAsync(result.RollbackId, "only", default);
        Assert.Equal(StepStatus.RevertFailed, row!.Status); // not left "reverting" for ever
        Assert.Contains("scripted crash of only", row.Detail);
        Assert.Equal(StepStatus.RevertFailed, (await harness.DeployOf(result.RollbackId)).Steps.Single().Status);
    }

    /// <summary>Issue 9, finding 4: a forced rollback skipped what the first left unreverted and reported success.</summary>
    [Theory]
    [InlineData(StepStatus.RevertFailed)]
    [InlineData(StepStatus.Blocked)]
    [InlineData(StepStatus.TimedOut)]
    [InlineData(StepStatus.NotApproved)]
    [InlineData(StepStatus.Cancelled)]
    [InlineData(StepStatus.Reverting)]
    public async Task Run_AfterARollbackLeftAStepUnreverted_RevertsItAgain(StepStatus leftBehind)
    {
        var steps = new[] { Step("schema", StepStatus.Reverted), Step("rollout", leftBehind, dependsOn: "schema") };

        var result = await harness.RunAsync(steps);

        Assert.Equal(["rollout"], harness.Executor.Calls);
        Assert.Equal(StepStatus.Reverted, result.Steps["rollout"]);
        Assert.Equal(RollbackPhase.Succeeded, result.Phase);
    }

    [Fact]
    public async Task Run_AManualStepLeftFromBefore_StillBlocksWhatItDependsOn()
    {
        var steps = new[] { Step("schema"), Step("rollout", StepStatus.Manual, mode: RevertMode.Manual, dependsOn: "schema") };

        var result = await harness.RunAsync(steps);

        Assert.Empty(harness.Executor.Calls);
        Assert.Equal(StepStatus.Blocked, result.Steps["schema"]);
        Assert.Equal(RollbackPhase.Failed, result.Phase);
    }

    [Fact]
    public async Task Run_NothingToRevert_IsNotASuccess()
    {
        // schema was planned as never applied by an earlier rollback (a pending step with nothing
        // under it would be in flight: the first step CI may be applying at the halt).
        var steps = new[] { Step("schema", StepStatus.Skipped), Step("rollout", StepStatus.Reverted, dependsOn: "schema") };

        var result = await harness.RunAsync(steps);

        Assert.Equal(RollbackPhase.Failed, result.Phase);
        Assert.Contains("nothing to revert", result.Summary);
        Assert.Equal(PageKind.RollbackFailed, harness.Pager.Kinds[^1]);
    }

    [Fact]
    public async Task Run_ManualStep_IsNeverExecutedAndBlocksWhatItDependsOn()
    {
        var steps = new[] { Step("schema"), Step("rollout", mode: RevertMode.Manual, dependsOn: "schema") };

        var result = await harness.RunAsync(steps);

        Assert.Empty(harness.Executor.Calls);
        Assert.Equal(StepStatus.Manual, result.Steps["rollout"]);
        Assert.Equal(StepStatus.Blocked, result.Steps["schema"]);
    }

    [Fact]
    public async Task Run_StepsNeverApplied_AreSkippedAndNotCalled()
    {
        var steps = new[] { Step("schema"), Step("config", StepStatus.Pending, dependsOn: "schema"), Step("rollout", StepStatus.Pending, dependsOn: "config") };

        var result = await harness.RunAsync(steps);

        Assert.Equal(["config", "schema"], harness.Executor.Calls);
        Assert.Equal(StepStatus.Skipped, result.Steps["rollout"]);
        Assert.Equal(RollbackPhase.Succeeded, result.Phase);
    }

    /// <summary>A webhook's target cannot be read here: a step in flight is sent to its receiver, which judges (docs/step-kinds.md).</summary>
    [Fact]
    public async Task Run_PendingWebhookStepAfterAnAppliedOne_IsInFlight_AndRevertedFirst()
    {
        var steps = new[] { Step("schema"), Step("rollout", StepStatus.Pending, dependsOn: "schema") };

        var result = await harness.RunAsync(steps);

        Assert.Equal(["rollout", "schema"], harness.Executor.Calls);
        Assert.Equal(StepStatus.Reverted, result.Steps["rollout"]);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => harness.DisposeAsync().AsTask();
}
