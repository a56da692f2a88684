using System.Text.Json.Nodes;
using RollbackFunctions.Core.Executors;

namespace RollbackFunctions.Infrastructure.Tests.Executors;

/// <summary><c>argocdApplication</c> with the real client against the fake API server and its stand-in of Argo CD's controller.</summary>
public sealed class ArgoApplicationExecutorTests : IAsyncLifetime
{
    private const string Before = "4f1c2a9e0b7d6c5e4f3a2b1c0d9e8f7a6b5c4d3e";
    private const string After = "9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b";
    private static readonly JsonObject Params = new() { ["namespace"] = "argocd", ["name"] = "payments-api" };
    private KubernetesFixture k8s = null!;

    public async Task InitializeAsync() => k8s = await KubernetesFixture.StartAsync();

    public async Task DisposeAsync() => await k8s.DisposeAsync();

    [Fact]
    public async Task Revert_SyncsBackToTheCapturedRevision_WaitsForHealthy_AndASecondRevertChangesNothing()
    {
        k8s.Api.SeedApplication("argocd", "payments-api", Before, automated: false);
        var prepared = await k8s.Applications.PrepareAsync(KubernetesFixture.PrepareOf("argocdApplication", Params), default);
        k8s.Api.SetApplicationRevision("argocd", "payments-api", After);

        var first = await k8s.Applications.RevertAsync(KubernetesFixture.RevertOf("argocdApplication", Params, prepared), default);
        var writes = k8s.Api.Writes.Count();
        var second = await k8s.Applications.RevertAsync(KubernetesFixture.RevertOf("argocdApplication", Params, prepared), default);

        Assert.Equal(Before, (string?)prepared.Captured!["revision"]);
        Assert.True(first.Outcome == RevertOutcome.Reverted, first.Detail);
        var patch = k8s.Api.Writes.Single();
        Assert.Equal(Before, (string?)patch.Json!["operation"]!["sync"]!["revision"]);
        Assert.Equal("rollbackfunctions:rb-d1", (string?)patch.Json!["operation"]!["initiatedBy"]!["username"]);
        var application = k8s.Api.Get("/apis/argoproj.io/v1alpha1", "argocd", "applications", "payments-api")!;
        Assert.Equal(Before, (string?)application["status"]!["sync"]!["revision"]);
        Assert.Equal(RevertOutcome.Reverted, second.Outcome);
        Assert.Contains("already", second.Detail);
        Assert.Equal(writes, k8s.Api.Writes.Count());
    }

    /// <summary>Issue 19: the revision to return to, read back and checked to exist in what Argo CD deployed; nothing written.</summary>
    [Fact]
    public async Task Rehearse_RevisionInTheApplicationsHistory_IsOk_AndWritesNothing()
    {
        k8s.Api.SeedApplication("argocd", "payments-api", Before, automated: false);
        var prepared = await k8s.Applications.PrepareAsync(KubernetesFixture.PrepareOf("argocdApplication", Params), default);
        k8s.Api.SetApplicationRevision("argocd", "payments-api", After);

        var rehearsal = await k8s.Applications.RehearseAsync(KubernetesFixture.RevertOf("argocdApplication", Params, prepared), default);

        Assert.Equal(Core.Deploys.RehearsalOutcome.Ok, rehearsal.Outcome);
        Assert.Contains($"deployed {Before[..12]} before", rehearsal.Detail);
        Assert.Empty(k8s.Api.Writes);
    }

    [Fact]
    public async Task Rehearse_RevisionArgoCdNeverDeployed_IsNotRehearsable_NotAPass()
    {
        k8s.Api.SeedApplication("argocd", "payments-api", After, automated: false);
        var parameters = Params.DeepClone().AsObject();
        parameters["revision"] = "v0.9.0";
        var prepared = await k8s.Applications.PrepareAsync(KubernetesFixture.PrepareOf("argocdApplication", parameters), default);

        var rehearsal = await k8s.Applications.RehearseAsync(KubernetesFixture.RevertOf("argocdApplication", parameters, prepared), default);

        Assert.Equal(Core.Deploys.RehearsalOutcome.NotRehearsable, rehearsal.Outcome);
        Assert.Contains("v0.9.0 is not in its deploy history", rehearsal.Detail);
    }

    [Fact]
    public async Task Revert_SyncFails_IsAFailedStepWithArgoCdsMessage()
    {
        k8s.Api.SeedApplication("argocd", "payments-api", Before, automated: false);
        var prepared = await k8s.Applications.PrepareAsync(KubernetesFixture.PrepareOf("argocdApplication", Params), default);
        k8s.Api.SetApplicationRevision("argocd", "payments-api", After);
        k8s.Api.ApplicationSyncFails["payments-api"] = "one or more objects failed to apply: admission webhook denied";

        var result = await k8s.Applications.RevertAsync(KubernetesFixture.RevertOf("argocdApplication", Params, prepared), default);

        Assert.Equal(RevertOutcome.Failed, result.Outcome);
        Assert.Contains("admission webhook denied", result.Detail);
    }

    [Fact]
    public async Task Revert_WhileAutoSyncStillRetriesTheBadRevision_TerminatesThatOperationFirst_ThenSyncs()
    {
        k8s.Api.SeedApplication("argocd", "payments-api", Before, automated: false); // the hold turned auto-sync off
        var prepared = await k8s.Applications.PrepareAsync(KubernetesFixture.PrepareOf("argocdApplication", Params), default);
        k8s.Api.SetApplicationRevision("argocd", "payments-api", After);
        k8s.Api.RevisionSyncFails[After] = "PostSync hook payments-smoke failed";
        k8s.Api.StartAutoSync("argocd", "payments-api", After);

        var result = await k8s.Applications.RevertAsync(KubernetesFixture.RevertOf("argocdApplication", Params, prepared, waitLimit: TimeSpan.FromSeconds(5)), default);

        Assert.True(result.Outcome == RevertOutcome.Reverted, result.Detail);
        var writes = k8s.Api.Writes.ToList();
        var terminate = writes.FindIndex(w => w.Method == "PATCH" && (string?)w.Json!["status"]?["operationState"]?["phase"] == "Terminating");
        var sync = writes.FindIndex(w => w.Method == "PATCH" && (string?)w.Json!["operation"]?["sync"]?["revision"] == Before);
        Assert.True(terminate >= 0 && terminate < sync, string.Join("\n", writes.Select(w => $"{w.Method} {w.Body}")));
        Assert.NotNull(writes[terminate].Json!["metadata"]!["resourceVersion"]); // only what was read, as argocd app terminate-op's update
        var application = k8s.Api.Get("/apis/argoproj.io/v1alpha1", "argocd", "applications", "payments-api")!;
        Assert.Equal(Before, (string?)application["status"]!["sync"]!["revision"]);
        Assert.Equal("rollbackfunctions:rb-d1", (string?)application["status"]!["operationState"]!["operation"]!["initiatedBy"]!["username"]);
    }

    [Fact]
    public async Task Revert_MultiSourceApplication_CapturesARevisionPerSource_AndSyncsThemBack()
    {
        k8s.Api.SeedMultiSourceApplication("argocd", "payments-api", "chart-1.4.2", Before);
        var prepared = await k8s.Applications.PrepareAsync(KubernetesFixture.PrepareOf("argocdApplication", Params), default);
        k8s.Api.SetApplicationRevisions("argocd", "payments-api", "chart-1.4.3", After);

        var result = await k8s.Applications.RevertAsync(KubernetesFixture.RevertOf("argocdApplication", Params, prepared), default);

        Assert.Null(prepared.Problem);
        Assert.Equal(["chart-1.4.2", Before], prepared.Captured!["revisions"]!.AsArray().Select(r => (string)r!));
        Assert.True(result.Outcome == RevertOutcome.Reverted, result.Detail);
        var patch = Assert.Single(k8s.Api.Writes);
        Assert.Equal(["chart-1.4.2", Before], patch.Json!["operation"]!["sync"]!["revisions"]!.AsArray().Select(r => (string)r!));
        var application = k8s.Api.Get("/apis/argoproj.io/v1alpha1", "argocd", "applications", "payments-api")!;
        Assert.Equal(["chart-1.4.2", Before], application["status"]!["sync"]!["revisions"]!.AsArray().Select(r => (string)r!));
    }

    [Fact]
    public async Task Prepare_MultiSourceApplicationWithOneParamsRevision_IsRefusedWithAReason()
    {
        k8s.Api.SeedMultiSourceApplication("argocd", "payments-api", "chart-1.4.2", Before);
        var parameters = new JsonObject { ["namespace"] = "argocd", ["name"] = "payments-api", ["revision"] = Before };

        var prepared = await k8s.Applications.PrepareAsync(KubernetesFixture.PrepareOf("argocdApplication", parameters), default);

        Assert.False(prepared.Transient);
        Assert.Contains("2 sources", prepared.Problem);
    }

    [Theory]
    [InlineData("""{"namespace":"argocd","name":"payments-api","revision":"--upload-pack=x"}""", "params.revision")]
    [InlineData("""{"namespace":"Argo CD","name":"payments-api"}""", "params.namespace")]
    [InlineData("""{"namespace":"argocd","name":"payments-api","cluster":"mars"}""", "params.cluster")]
    public void ValidateParams_Bad_IsRefused(string json, string field) =>
        Assert.Contains(field, k8s.Applications.ValidateParams(JsonNode.Parse(json)!.AsObject()));
}
