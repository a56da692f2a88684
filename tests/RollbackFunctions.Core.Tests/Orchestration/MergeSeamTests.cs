using System.Text.Json.Nodes;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Orchestration;
using static RollbackFunctions.Core.Tests.Orchestration.TargetTimeline;

namespace RollbackFunctions.Core.Tests.Orchestration;

/// <summary>Found by the review of the merged features (SAFETY.md 1, 3, 8), each failing first on the real engine.</summary>
public sealed class MergeSeamTests : IAsyncLifetime
{
    private readonly RollbackHarness harness = new();

    /// <summary>
    /// SAFETY.md 1: two operators approve an approval-mode step (both get 202 while the row still says
    /// awaitingApproval). The second approval is buffered under the same event name and is taken as
    /// approval of drift nobody was shown: the hotfix is overwritten.
    /// </summary>
    [Fact]
    public async Task ApprovalModeStep_SecondApproval_IsNotTakenAsApprovalOfDrift()
    {
        harness.Targets["app"] = "1.4.1";
        var timeline = await (await new TargetTimeline(harness.Targets).RegisterAsync(
            Step("rollout", "app") with { RevertMode = RevertMode.Approval })).ApplyAsync("rollout", "1.4.2");
        harness.Targets["app"] = "1.4.2-hotfix"; // pushed by hand after the deploy

        var id = await harness.StartAsync(timeline.Deploy);
        await harness.WaitForApprovalRequestAsync(id, "rollout");
        await harness.RaiseAsync(id, RollbackEvents.Approval("rollout"), new OperatorDecision(true, "alice", "go"));
        await harness.RaiseAsync(id, RollbackEvents.Approval("rollout"), new OperatorDecision(true, "bob", "go"));

        // The drift must be shown and waited on; nobody approved overwriting 1.4.2-hotfix.
        await Eventually.HoldsAsync(
            async () => (await harness.Rollbacks.GetStepAsync(id, "rollout", default)) is { Status: StepStatus.AwaitingApproval } row && row.Detail.StartsWith("drift:", StringComparison.Ordinal)
                || harness.Targets["app"] != "1.4.2-hotfix",
            TimeSpan.FromSeconds(30), () => "neither asked about drift nor wrote", TimeSpan.FromMilliseconds(20));
        await Task.Delay(1000);
        Assert.Equal("1.4.2-hotfix", harness.Targets["app"]);
        Assert.Empty(harness.Targets.Writes);
    }

    /// <summary>
    /// Replay safety: an instance started by the code before today (no ActionOrder, the PageFirst order)
    /// scheduled HoldGitOps once, then every level's reverts back to back. The merged PageFirst path
    /// now schedules a HoldGitOps re-check before level 1, so replaying such an instance's history
    /// meets a task it never scheduled (non-deterministic: the orchestration fails mid-rollback).
    /// </summary>
    [Fact]
    public async Task PageFirstInstance_ReplaysThePreMergeActivities_OneGitOpsHoldOnly()
    {
        harness.ActionOrder = null; // started before issue 21
        static DeployStep OnCluster(string id, params string[] dependsOn) =>
            RollbackFunctions.Testing.DeployBuilder.Step(id, dependsOn: dependsOn) with { Params = new JsonObject { ["revertUrl"] = $"http://127.0.0.1/{id}", ["cluster"] = "prod" } };
        var deploy = RollbackFunctions.Testing.DeployBuilder.Record(id: $"d-{Guid.NewGuid():N}", steps: [OnCluster("schema"), OnCluster("rollout", "schema")])
            with { GitOps = [new GitOpsTarget("argocd", "prod", "argocd", "payments-api")] };

        var result = await harness.WaitAsync(await harness.StartAsync(deploy));

        Assert.Equal(StepStatus.Reverted, result.Steps["schema"]);
        var order = harness.Journal.Entries.Where(e => e.StartsWith("hold:", StringComparison.Ordinal) || e.StartsWith("revert:", StringComparison.Ordinal));
        Assert.Equal(["hold:payments-api", "revert:rollout", "revert:schema"], order); // the e8d2f4c sequence
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await harness.DisposeAsync();
}
