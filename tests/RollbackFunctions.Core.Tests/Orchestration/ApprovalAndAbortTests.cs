using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Notifications;
using RollbackFunctions.Core.Orchestration;
using RollbackFunctions.Core.Rollbacks;
using static RollbackFunctions.Testing.DeployBuilder;

namespace RollbackFunctions.Core.Tests.Orchestration;

public sealed class ApprovalAndAbortTests : IAsyncLifetime
{
    private readonly RollbackHarness harness = new();

    [Fact]
    public async Task ApprovalStep_Approved_IsRevertedAfterThePhaseWasAwaitingApproval()
    {
        var id = await harness.StartAsync([Step("schema", mode: RevertMode.Approval)]);
        await harness.WaitForApprovalRequestAsync(id, "schema");
        Assert.Empty(harness.Executor.Calls);
        // One activity writes the step's row, then the phase: a loaded machine can read between the two.
        await Eventually.HoldsAsync(
            async () => (await harness.Rollbacks.GetAsync(id, default))!.Phase == RollbackPhase.AwaitingApproval,
            TimeSpan.FromSeconds(30),
            () => "the rollback's phase never became awaitingApproval");

        await harness.RaiseAsync(id, RollbackEvents.Approval("schema"), new OperatorDecision(true, "alice", "looks safe"));
        var result = await harness.WaitAsync(id);

        Assert.Equal(StepStatus.Reverted, result.Steps["schema"]);
        Assert.Equal(["schema"], harness.Executor.ApprovedCalls);
        Assert.Contains(PageKind.ApprovalNeeded, harness.Pager.Kinds);
        Assert.Contains(harness.Audit.Entries, e => e is { Action: "approval.decided", Actor: "alice", Outcome: "approved" });
        var phases = (await harness.Rollbacks.GetAsync(id, default))!.Timeline.Select(t => t.Phase).ToList();
        // rollingBack before awaitingApproval only when its write landed first (see the next test).
        Assert.DoesNotContain(RollbackPhase.Paging, phases);
        Assert.Equal([RollbackPhase.AwaitingApproval, RollbackPhase.RollingBack, RollbackPhase.Succeeded], phases.TakeLast(3));
    }

    /// <summary>
    /// The rollingBack phase is written while the first level starts; a step of that level that asks
    /// for approval writes awaitingApproval. If the first write lands last, status said "rollingBack"
    /// for as long as the rollback waited on a person (seen under load in CI-like runs).
    /// </summary>
    [Fact]
    public async Task ApprovalStep_FirstInLine_PhaseIsAwaitingApproval_EvenWhenTheRollingBackWriteIsSlow()
    {
        harness.Rollbacks.BeforePhase = phase => phase == RollbackPhase.RollingBack ? Task.Delay(TimeSpan.FromSeconds(1)) : Task.CompletedTask;
        var id = await harness.StartAsync([Step("schema", mode: RevertMode.Approval)]);
        await harness.WaitForApprovalRequestAsync(id, "schema");
        await Task.Delay(TimeSpan.FromSeconds(2)); // past the slow write

        var rollback = (await harness.Rollbacks.GetAsync(id, default))!;

        Assert.Equal(RollbackPhase.AwaitingApproval, rollback.Phase);
        Assert.Equal([RollbackPhase.AwaitingApproval], rollback.Timeline.Select(t => t.Phase)); // the late write changed nothing
        await harness.RaiseAsync(id, RollbackEvents.Approval("schema"), new OperatorDecision(true, "alice", "looks safe"));
        await harness.WaitAsync(id);
    }

    [Fact]
    public async Task ApprovalStep_Rejected_IsNotApprovedAndBlocksWhatItDependsOn()
    {
        var id = await harness.StartAsync([Step("schema"), Step("rollout", mode: RevertMode.Approval, dependsOn: "schema")]);
        await harness.WaitForApprovalRequestAsync(id, "rollout");

        await harness.RaiseAsync(id, RollbackEvents.Approval("rollout"), new OperatorDecision(false, "bob", "roll forward instead"));
        var result = await harness.WaitAsync(id);

        Assert.Equal(StepStatus.NotApproved, result.Steps["rollout"]);
        Assert.Equal(StepStatus.Blocked, result.Steps["schema"]);
        Assert.Empty(harness.Executor.Calls);
        Assert.Equal(RollbackPhase.Failed, result.Phase);
        Assert.Contains("rejected by bob", (await harness.Rollbacks.GetStepAsync(id, "rollout", default))!.Detail);
    }

    [Fact]
    public async Task ApprovalStep_NoDecisionInTime_EscalatesAndIsNotApproved()
    {
        var settings = RollbackHarness.FastSettings with { ApprovalTimeout = TimeSpan.FromMilliseconds(500) };

        var result = await harness.RunAsync([Step("schema", mode: RevertMode.Approval)], settings);

        Assert.Equal(StepStatus.NotApproved, result.Steps["schema"]);
        Assert.Contains(harness.Pager.Pages, p => p.Kind == PageKind.RollbackStuck && p.Summary.Contains("timed out"));
        Assert.Contains(harness.Audit.Entries, e => e.Action == "approval.timedOut");
    }

    [Fact]
    public async Task ExecutorDeclaresDestructive_WaitsForApprovalThenRevertsApproved()
    {
        harness.Executor.Destructive.Add("schema");
        var id = await harness.StartAsync([Step("schema")]);
        await harness.WaitForApprovalRequestAsync(id, "schema");

        await harness.RaiseAsync(id, RollbackEvents.Approval("schema"), new OperatorDecision(true, "carol", null));
        var result = await harness.WaitAsync(id);

        Assert.Equal(["schema", "schema"], harness.Executor.Calls);
        Assert.Equal(["schema"], harness.Executor.ApprovedCalls);
        Assert.Equal(StepStatus.Reverted, result.Steps["schema"]);
    }

    [Fact]
    public async Task Abort_WhileAStepWaitsForApproval_StopsFurtherRevertsAndEndsAborted()
    {
        var id = await harness.StartAsync([Step("schema"), Step("rollout", mode: RevertMode.Approval, dependsOn: "schema")]);
        await harness.WaitForApprovalRequestAsync(id, "rollout");

        await harness.RaiseAsync(id, RollbackEvents.Abort, new OperatorDecision(false, "dave", "taking over by hand"));
        var result = await harness.WaitAsync(id);

        Assert.Equal(RollbackPhase.Aborted, result.Phase);
        Assert.Equal(StepStatus.NotApproved, result.Steps["rollout"]);
        Assert.Equal(StepStatus.Cancelled, result.Steps["schema"]);
        Assert.Empty(harness.Executor.Calls);
        Assert.Contains("dave", result.Summary);
        Assert.Equal(PageKind.RollbackAborted, harness.Pager.Kinds[^1]);
        Assert.Equal(DeployState.RollbackFailed, (await harness.DeployOf(id)).State);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => harness.DisposeAsync().AsTask();
}
