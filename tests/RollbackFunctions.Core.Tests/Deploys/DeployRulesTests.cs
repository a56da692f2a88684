using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Executors;
using RollbackFunctions.Core.Rollbacks;
using static RollbackFunctions.Testing.DeployBuilder;

namespace RollbackFunctions.Core.Tests.Deploys;

/// <summary>The lifecycle rules that live on the deploy and rollback records, each written once.</summary>
public sealed class DeployRulesTests
{
    [Fact]
    public void HaltedBy_ClosesTheGate_AndIsIdempotent()
    {
        var halted = Record(state: DeployState.Baking).HaltedBy("rb-x");

        Assert.NotNull(halted);
        Assert.Equal((DeployState.Halted, "rb-x"), (halted.State, halted.RollbackId));
        Assert.True(halted.State.ClosesGate());
        Assert.Null(halted.HaltedBy("rb-x"));
    }

    [Fact]
    public void Completed_ActiveDeploy_MarksPendingStepsAppliedAndStartsTheBakeWindow()
    {
        var deploy = Record(steps: [Step("a", StepStatus.Pending), Step("b", StepStatus.Failed, dependsOn: "a")]);

        var completed = deploy.Completed(T0.AddMinutes(5))!;

        Assert.Equal(DeployState.Baking, completed.State);
        Assert.Equal([StepStatus.Applied, StepStatus.Failed], completed.Steps.Select(s => s.Status));
        Assert.Equal(T0.AddMinutes(35), completed.WatchUntil);
        Assert.Null(completed.Completed(T0.AddMinutes(6)));
        Assert.Null(Record(state: DeployState.Halted).Completed(T0));
    }

    /// <summary>
    /// Issue 17, point 2: CI's report of a step applied after the halt is evidence: recorded with the
    /// state it made, marked, and kept applied whatever the rollback decided before it landed.
    /// </summary>
    [Fact]
    public void Reported_AfterTheHalt_IsRecordedMarkedAndStaysAppliedOverAnUnchangedDecision()
    {
        var halted = Record(steps: [Step("schema"), Step("rollout", StepStatus.Running, dependsOn: "schema")]).HaltedBy("rb-x")!;
        var made = TargetState.Of(("image app", "checkout:1.4.2"));

        var reported = halted.Reported("rollout", StepStatus.Applied, made, T0)!;
        var ended = reported.RolledBack(RollbackPhase.Succeeded, new Dictionary<string, StepStatus> { ["rollout"] = StepStatus.Unchanged, ["schema"] = StepStatus.Reverted }, T0);

        Assert.True(reported.FindStep("rollout")!.ReportedAfterHalt);
        Assert.Equal(made, reported.FindStep("rollout")!.After);
        Assert.Equal([StepStatus.Reverted, StepStatus.Applied], ended.Steps.Select(s => s.Status));
    }

    [Fact]
    public void Completed_ReadsTheStateOfEveryStepItMarksApplied()
    {
        var made = TargetState.Of(("value", "new"));
        var completed = Record(steps: [Step("a", StepStatus.Running)]).Completed(T0, new Dictionary<string, TargetState> { ["a"] = made })!;

        Assert.Equal((StepStatus.Applied, made), (completed.Steps[0].Status, completed.Steps[0].After));
    }

    [Theory]
    [InlineData(DeployState.Active, false)]
    [InlineData(DeployState.Baking, false)]
    [InlineData(DeployState.Stable, false)]
    [InlineData(DeployState.Halted, true)]
    [InlineData(DeployState.RolledBack, true)]
    [InlineData(DeployState.RollbackFailed, true)]
    public void ClosesGate_OnlyOnceARollbackClaimedTheDeploy(DeployState state, bool closed) =>
        Assert.Equal(closed, state.ClosesGate());

    [Fact]
    public void RolledBack_RecordsDecidedStatuses_ButKeepsAStepCiAppliedAfterTheHalt()
    {
        var deploy = Record(steps: [Step("a"), Step("b", dependsOn: "a")]);
        var decided = new Dictionary<string, StepStatus> { ["a"] = StepStatus.Reverted, ["b"] = StepStatus.Skipped };

        var after = deploy.RolledBack(RollbackPhase.Failed, decided, T0);

        Assert.Equal(DeployState.RollbackFailed, after.State);
        Assert.Equal([StepStatus.Reverted, StepStatus.Applied], after.Steps.Select(s => s.Status));
        Assert.Equal(DeployState.RolledBack, deploy.RolledBack(RollbackPhase.Succeeded, decided, T0).State);
    }

    [Fact]
    public void MovedTo_TerminalIsFinal_AndSetsCompletionAndSummary()
    {
        var head = new RollbackRecord
        {
            RollbackId = "rb-x", DeployId = "x", Phase = RollbackPhase.Verifying, ClaimedAt = T0,
            Trigger = new RollbackTrigger("manual", "alice", "test", []),
        };

        var done = head.MovedTo(RollbackPhase.Succeeded, "all good", T0.AddMinutes(1))!;

        Assert.Equal((RollbackPhase.Succeeded, "all good", T0.AddMinutes(1)), (done.Phase, done.Summary, done.CompletedAt));
        Assert.Equal(RollbackPhase.Succeeded, done.Timeline[^1].Phase);
        Assert.Null(done.MovedTo(RollbackPhase.Failed, "late write", T0.AddMinutes(2)));
        Assert.Null(head.MovedTo(RollbackPhase.Verifying, "same phase", T0));
        Assert.Equal(RollbackPhaseRules.Terminal, Enum.GetValues<RollbackPhase>().Where(p => p.IsTerminal()));
    }

    [Theory]
    [InlineData(RevertOutcome.Reverted, StepStatus.Reverted)]
    [InlineData(RevertOutcome.Failed, StepStatus.RevertFailed)]
    [InlineData(RevertOutcome.NeedsApproval, StepStatus.AwaitingApproval)]
    [InlineData(RevertOutcome.TimedOut, StepStatus.TimedOut)]
    public void StepStatus_OfARevertResult_IsTheOneMapping(RevertOutcome outcome, StepStatus expected) =>
        Assert.Equal(expected, new StepRevertResult(outcome, "").StepStatus);
}
