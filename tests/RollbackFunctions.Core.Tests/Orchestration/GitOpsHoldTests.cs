using System.Text.Json.Nodes;
using RollbackFunctions.Core.Audit;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Notifications;

namespace RollbackFunctions.Core.Tests.Orchestration;

/// <summary>
/// The GitOps hold on the real in-process engine: checked again before every revert level, held
/// again and audited when undone, and blocking every cluster the controller manages when it fails
/// or keeps being undone (SAFETY.md 8: ambiguity asks a human; 11: explained in the audit trail).
/// </summary>
public sealed class GitOpsHoldTests : IAsyncDisposable
{
    private static readonly GitOpsTarget PaymentsApi = new("argocd", "prod", "argocd", "payments-api");
    private readonly RollbackHarness harness = new();

    public ValueTask DisposeAsync() => harness.DisposeAsync();

    private static DeployStep OnCluster(string id, string cluster, params string[] dependsOn) =>
        DeployBuilder.Step(id, dependsOn: dependsOn) with { Params = new JsonObject { ["revertUrl"] = $"http://127.0.0.1/{id}", ["cluster"] = cluster } };

    private static DeployRecord Deploy(IReadOnlyList<DeployStep> steps, params GitOpsTarget[] gitOps) =>
        DeployBuilder.Record(id: $"d-{Guid.NewGuid():N}", steps: steps) with { GitOps = gitOps };

    [Fact]
    public async Task Rollback_HoldUndoneBeforeEachLevel_IsHeldAgainAndAudited_ThenBlocksTheRestAndPages()
    {
        harness.GitOps.UndoneAfterEachHold.Add("payments-api"); // an ApplicationSet turns auto-sync back on
        var deploy = Deploy([OnCluster("schema", "prod"), OnCluster("config", "prod", "schema"), OnCluster("rollout", "prod", "config")], PaymentsApi);

        var result = await harness.WaitAsync(await harness.StartAsync(deploy));

        Assert.Equal(StepStatus.Reverted, result.Steps["rollout"]);
        Assert.Equal(StepStatus.Reverted, result.Steps["config"]);
        Assert.Equal(StepStatus.Blocked, result.Steps["schema"]);
        var order = harness.Journal.Entries.Where(e => e.StartsWith("hold:", StringComparison.Ordinal) || e.StartsWith("revert:", StringComparison.Ordinal));
        Assert.Equal(["hold:payments-api", "revert:rollout", "hold:payments-api", "revert:config", "hold:payments-api"], order);
        Assert.All(harness.GitOps.Holds, h => Assert.Equal(result.RollbackId, h.RollbackId));
        Assert.Equal(2, harness.Audit.Entries.Count(e => e.Action == AuditActions.GitOpsReheld));
        Assert.Single(harness.Audit.Entries, e => e.Action == AuditActions.GitOpsHeld); // a hold that still stands is not audited again
        Assert.Contains(harness.Pager.Pages, p => p.Kind == PageKind.RollbackStuck && p.Summary.Contains("undone 2 times", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Rollback_FailedHoldOfAnArgoCdManagingOtherClusters_BlocksTheStepsThere()
    {
        harness.GitOps.Failing.Add("payments-api");
        var deploy = Deploy([OnCluster("rollout", "prod"), OnCluster("queue", "staging")], PaymentsApi with { Cluster = "mgmt", Manages = ["prod"] });

        var result = await harness.WaitAsync(await harness.StartAsync(deploy));

        Assert.Equal(StepStatus.Blocked, result.Steps["rollout"]);
        Assert.Equal(StepStatus.Reverted, result.Steps["queue"]);
        Assert.DoesNotContain("revert:rollout", harness.Journal.Entries);
    }
}
