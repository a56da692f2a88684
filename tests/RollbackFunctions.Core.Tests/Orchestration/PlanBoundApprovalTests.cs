using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Orchestration;
using static RollbackFunctions.Testing.DeployBuilder;

namespace RollbackFunctions.Core.Tests.Orchestration;

/// <summary>
/// SAFETY.md 3: an approval binds to the exact plan or effect that was shown. The executor asks with
/// a digest; only an approval naming that digest runs it, and the executor gets the digest back.
/// </summary>
public sealed class PlanBoundApprovalTests : IAsyncLifetime
{
    private const string Plan = "3f7a9c0e5b1d2f4a6c8e0b2d4f6a8c0e1b3d5f7a9c1e3b5d7f9a1c3e5b7d9f1a";

    private readonly RollbackHarness harness = new();

    [Fact]
    public async Task DestructiveStep_ApprovedWithThePlanShown_RunsWithThatPlanDigest()
    {
        harness.Executor.PlanBound["infra"] = Plan;
        var id = await harness.StartAsync([Step("infra")]);
        await WaitForPlanAsync(id, "infra");

        await harness.RaiseAsync(id, RollbackEvents.Approval("infra"), new OperatorDecision(true, "alice", "seen it", Plan));
        var result = await harness.WaitAsync(id);

        Assert.Equal(StepStatus.Reverted, result.Steps["infra"]);
        Assert.Equal([("infra", (string?)Plan)], harness.Executor.ApprovedPlans);
        Assert.Contains(harness.Audit.Entries, e => e is { Action: "approval.decided", Outcome: "approved" } && e.Detail.Contains(Plan, StringComparison.Ordinal));
    }

    [Fact]
    public async Task DestructiveStep_AnApprovalOfAnotherPlan_IsIgnored_AndTheStepWaitsForThisOne()
    {
        harness.Executor.PlanBound["infra"] = Plan;
        var id = await harness.StartAsync([Step("infra")]);
        await WaitForPlanAsync(id, "infra");

        await harness.RaiseAsync(id, RollbackEvents.Approval("infra"), new OperatorDecision(true, "bob", "stale page", new string('0', 64)));
        await harness.RaiseAsync(id, RollbackEvents.Approval("infra"), new OperatorDecision(true, "alice", "seen it", Plan));
        var result = await harness.WaitAsync(id);

        Assert.Equal(StepStatus.Reverted, result.Steps["infra"]);
        Assert.Equal([("infra", (string?)Plan)], harness.Executor.ApprovedPlans);
        Assert.DoesNotContain(harness.Audit.Entries, e => e.Actor.Contains("bob", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ApprovalModeStep_ApprovedBeforeAnyPlanWasShown_AsksAgainWithThePlan()
    {
        harness.Executor.PlanBound["infra"] = Plan;
        var id = await harness.StartAsync([Step("infra", mode: RevertMode.Approval)]);
        await harness.WaitForApprovalRequestAsync(id, "infra");
        await harness.RaiseAsync(id, RollbackEvents.Approval("infra"), new OperatorDecision(true, "alice", "go"));

        await WaitForPlanAsync(id, "infra");
        await harness.RaiseAsync(id, RollbackEvents.Approval("infra"), new OperatorDecision(true, "alice", "plan seen", Plan));
        var result = await harness.WaitAsync(id);

        Assert.Equal(StepStatus.Reverted, result.Steps["infra"]);
        Assert.Equal([("infra", (string?)null), ("infra", Plan)], harness.Executor.ApprovedPlans);
    }

    private Task WaitForPlanAsync(string rollbackId, string stepId) =>
        Eventually.HoldsAsync(
            async () => await harness.Rollbacks.GetStepAsync(rollbackId, stepId, default) is { Status: StepStatus.AwaitingApproval, PlanDigest: Plan, ApprovalDue: not null },
            TimeSpan.FromSeconds(30),
            () => $"{stepId} never asked for approval of plan {Plan}",
            TimeSpan.FromMilliseconds(20));

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => harness.DisposeAsync().AsTask();
}
