using RollbackFunctions.Core.Policy;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Orchestration;
using RollbackFunctions.Core.Planning;
using static RollbackFunctions.Testing.DeployBuilder;

namespace RollbackFunctions.Core.Tests.Orchestration;

public sealed class StepPolicyTests
{
    private static readonly IReadOnlyList<DeployStep> Steps = Diamond();
    private static readonly StepGraph Graph = ReversePlanner.GraphOf(Steps);

    private static DeployStep StepNamed(string id, RevertMode mode = RevertMode.Auto) => Steps.Single(s => s.Id == id) with { RevertMode = mode };

    [Fact]
    public void Before_NothingInTheWay_Reverts()
    {
        var decision = StepPolicy.Before(StepNamed("config"), Graph, new Dictionary<string, StepStatus> { ["rollout"] = StepStatus.Reverted }, abortedBy: null, RollbackApprovals.None);

        Assert.Equal(StepAction.Revert, decision.Action);
    }

    [Fact]
    public void Before_Aborted_CancelsAndNamesWhoAborted_EvenIfBlockedOrManual()
    {
        var decided = new Dictionary<string, StepStatus> { ["rollout"] = StepStatus.RevertFailed };

        var decision = StepPolicy.Before(StepNamed("config", RevertMode.Manual), Graph, decided, abortedBy: "alice", RollbackApprovals.None);

        Assert.Equal((StepAction.Leave, StepStatus.Cancelled), (decision.Action, decision.Status));
        Assert.Contains("alice", decision.Detail);
    }

    [Theory]
    [InlineData(StepStatus.RevertFailed)]
    [InlineData(StepStatus.Blocked)]
    [InlineData(StepStatus.Manual)]
    [InlineData(StepStatus.NotApproved)]
    [InlineData(StepStatus.TimedOut)]
    [InlineData(StepStatus.Cancelled)]
    public void Before_ADependentLeftUnreverted_BlocksAndNamesIt(StepStatus dependentStatus)
    {
        var decided = new Dictionary<string, StepStatus> { ["config"] = StepStatus.Reverted, ["flags"] = dependentStatus };

        var decision = StepPolicy.Before(StepNamed("schema"), Graph, decided, abortedBy: null, RollbackApprovals.None);

        Assert.Equal((StepAction.Leave, StepStatus.Blocked), (decision.Action, decision.Status));
        Assert.Contains("flags", decision.Detail);
    }

    /// <summary>
    /// Issue 9, finding 17: blocking looked only at direct dependents, so a never-applied step in
    /// between hid a failed revert above it (schema ← config (never applied) ← rollout (failed)).
    /// </summary>
    [Fact]
    public void Before_ADependentThroughANeverAppliedStepFailed_StillBlocks()
    {
        var steps = new[] { Step("schema"), Step("config", StepStatus.Pending, dependsOn: "schema"), Step("rollout", dependsOn: "config") };
        var graph = ReversePlanner.GraphOf(steps);
        var decided = new Dictionary<string, StepStatus> { ["rollout"] = StepStatus.RevertFailed, ["config"] = StepStatus.Skipped };

        var decision = StepPolicy.Before(steps[0], graph, decided, abortedBy: null, RollbackApprovals.None);

        Assert.Equal((StepAction.Leave, StepStatus.Blocked), (decision.Action, decision.Status));
        Assert.Contains("rollout", decision.Detail);
    }

    [Fact]
    public void Before_ANonDependentFailed_DoesNotBlock()
    {
        // config and flags are siblings: one failing says nothing about the other.
        var decided = new Dictionary<string, StepStatus> { ["rollout"] = StepStatus.Reverted, ["config"] = StepStatus.RevertFailed };

        Assert.Equal(StepAction.Revert, StepPolicy.Before(StepNamed("flags"), Graph, decided, abortedBy: null, RollbackApprovals.None).Action);
    }

    [Fact]
    public void Before_ManualStep_IsLeftForAHuman()
    {
        var decision = StepPolicy.Before(StepNamed("rollout", RevertMode.Manual), Graph, new Dictionary<string, StepStatus>(), abortedBy: null, RollbackApprovals.None);

        Assert.Equal((StepAction.Leave, StepStatus.Manual), (decision.Action, decision.Status));
    }

    [Fact]
    public void Before_ApprovalStep_AsksFirst()
    {
        var decision = StepPolicy.Before(StepNamed("rollout", RevertMode.Approval), Graph, new Dictionary<string, StepStatus>(), abortedBy: null, RollbackApprovals.None);

        Assert.Equal(StepAction.AskApproval, decision.Action);
    }

    [Fact]
    public void Before_PolicyWantsItApproved_AsksWithThePolicysReason()
    {
        var approvals = new RollbackApprovals(["webhook"], "prod", null);

        var decision = StepPolicy.Before(StepNamed("rollout"), Graph, new Dictionary<string, StepStatus>(), abortedBy: null, approvals);

        Assert.Equal((StepAction.AskApproval, "policy: webhook steps in prod always need approval"), (decision.Action, decision.Detail));
    }

    [Theory]
    [InlineData(StepStatus.Reverted, false, StepStatus.Reverted)]
    [InlineData(StepStatus.RevertFailed, true, StepStatus.RevertFailed)]
    [InlineData(StepStatus.AwaitingApproval, false, StepStatus.AwaitingApproval)]
    [InlineData(StepStatus.AwaitingApproval, true, StepStatus.RevertFailed)]
    public void After_MapsTheExecutorsAnswer_AndNeverAsksTwice(StepStatus executor, bool approved, StepStatus expected) =>
        Assert.Equal(expected, StepPolicy.After(executor, approved));
}
