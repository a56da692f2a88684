using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Orchestration;
using RollbackFunctions.Testing;
using static RollbackFunctions.Core.Tests.Orchestration.TargetTimeline;

namespace RollbackFunctions.Core.Tests.Orchestration;

/// <summary>
/// SAFETY.md 1 across time, on the real engine: a three-state judgement holds only for the state it
/// read. A target that changes during an approval wait (review item S1) or between the read and the
/// write (the precondition's 409) is read and judged again before anything is written.
/// </summary>
public sealed class JudgementWindowTests : IAsyncLifetime
{
    private readonly RollbackHarness harness = new();

    [Fact]
    public async Task DriftApproved_TargetChangedAgainDuringTheWait_AsksAgainAndDoesNotOverwrite()
    {
        harness.Targets["app"] = "1.4.1";
        var timeline = await (await new TargetTimeline(harness.Targets).RegisterAsync(Step("rollout", "app"))).ApplyAsync("rollout", "1.4.2");
        harness.Targets["app"] = "1.4.2-hotfix";

        var id = await harness.StartAsync(timeline.Deploy);
        var shown = await AskedAsync(id, "rollout", previous: null);
        harness.Targets["app"] = "1.4.2-hotfix2"; // a second hotfix while the operator reads the first ask
        await harness.RaiseAsync(id, RollbackEvents.Approval("rollout"), new OperatorDecision(true, "alice", "overwrite the hotfix", shown));

        var again = await AskedAsync(id, "rollout", previous: shown);
        var row = (await harness.Rollbacks.GetStepAsync(id, "rollout", default))!;
        Assert.Contains("1.4.2-hotfix2", row.Detail);
        Assert.Equal("1.4.2-hotfix2", harness.Targets["app"]);
        await harness.RaiseAsync(id, RollbackEvents.Approval("rollout"), new OperatorDecision(false, "alice", "keep the second hotfix"));
        var result = await harness.WaitAsync(id);

        Assert.NotEqual(shown, again);
        Assert.Equal(StepStatus.NotApproved, result.Steps["rollout"]);
        Assert.Equal("1.4.2-hotfix2", harness.Targets["app"]);
        Assert.Empty(harness.Targets.Writes);
    }

    [Fact]
    public async Task DestructiveRestoreApproved_HotfixDuringTheWait_IsJudgedAgainAsDrift_NotOverwritten()
    {
        harness.Targets["db"] = "schema-41";
        harness.Targets.Destructive["db"] = true;
        var timeline = await (await new TargetTimeline(harness.Targets).RegisterAsync(Step("migrate", "db"))).ApplyAsync("migrate", "schema-42");

        var id = await harness.StartAsync(timeline.Deploy);
        var effect = await AskedAsync(id, "migrate", previous: null); // judged "restore", then the effect asks
        harness.Targets["db"] = "schema-42-hotfix"; // a person fixes it by hand during the approval window
        await harness.RaiseAsync(id, RollbackEvents.Approval("migrate"), new OperatorDecision(true, "alice", "drop it", effect));

        await AskedAsync(id, "migrate", previous: effect);
        var row = (await harness.Rollbacks.GetStepAsync(id, "migrate", default))!;
        Assert.StartsWith("drift:", row.Detail);
        Assert.Contains("schema-42-hotfix", row.Detail);
        await harness.RaiseAsync(id, RollbackEvents.Approval("migrate"), new OperatorDecision(false, "alice", "the hotfix is right"));
        var result = await harness.WaitAsync(id);

        Assert.Equal(StepStatus.NotApproved, result.Steps["migrate"]);
        Assert.Equal("schema-42-hotfix", harness.Targets["db"]);
        Assert.Empty(harness.Targets.Writes);
    }

    [Fact]
    public async Task TargetChangedBetweenTheReadAndTheWrite_TheWriteIsRefused_ReadAndJudgedAgain()
    {
        harness.Targets["app"] = "1.4.1";
        var timeline = await (await new TargetTimeline(harness.Targets).RegisterAsync(Step("rollout", "app"))).ApplyAsync("rollout", "1.4.2");
        harness.Targets.ChangeBeforeWrite("app", "1.4.2-hotfix");

        var id = await harness.StartAsync(timeline.Deploy);
        await AskedAsync(id, "rollout", previous: null);
        await harness.RaiseAsync(id, RollbackEvents.Approval("rollout"), new OperatorDecision(false, "alice", "keep the hotfix"));
        var result = await harness.WaitAsync(id);

        Assert.Equal(1, harness.Targets.Conflicts);
        Assert.Equal(StepStatus.NotApproved, result.Steps["rollout"]);
        Assert.Equal("1.4.2-hotfix", harness.Targets["app"]);
        Assert.Empty(harness.Targets.Writes);
    }

    /// <summary>Waits until the step asks with a digest other than <paramref name="previous"/>; returns it.</summary>
    private async Task<string> AskedAsync(string rollbackId, string stepId, string? previous)
    {
        string? digest = null;
        await Eventually.HoldsAsync(
            async () => (digest = await harness.Rollbacks.GetStepAsync(rollbackId, stepId, default) is { Status: StepStatus.AwaitingApproval, ApprovalDue: not null, PlanDigest: { } d } && d != previous ? d : null) is not null,
            TimeSpan.FromSeconds(30),
            () => $"{stepId} never asked (again) for approval",
            TimeSpan.FromMilliseconds(20));
        return digest!;
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await harness.DisposeAsync();
}
