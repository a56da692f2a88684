using System.Text.Json.Nodes;
using RollbackFunctions.Core.Executors;

namespace RollbackFunctions.Infrastructure.Tests.Executors;

public sealed class KubernetesWorkloadExecutorTests : IAsyncLifetime
{
    private const string Kind = "kubernetesDeployment";
    private KubernetesFixture k8s = null!;

    private static JsonObject Params(string name = "checkout", string? workloadKind = null, int? toRevision = null)
    {
        var p = new JsonObject { ["cluster"] = "prod", ["namespace"] = "shop", ["name"] = name };
        if (workloadKind is not null)
        {
            p["workloadKind"] = workloadKind;
        }

        if (toRevision is not null)
        {
            p["toRevision"] = toRevision;
        }

        return p;
    }

    private static string ImageOf(JsonObject? workload) => (string)workload!["spec"]!["template"]!["spec"]!["containers"]![0]!["image"]!;

    [Theory]
    [InlineData("""{"cluster":"prod","namespace":"Shop","name":"checkout"}""", "params.namespace")]
    [InlineData("""{"cluster":"prod","namespace":"shop","name":"../etc"}""", "params.name")]
    [InlineData("""{"cluster":"prod","namespace":"shop","name":"a;rm -rf /"}""", "params.name")]
    [InlineData("""{"cluster":"prod","namespace":"shop","name":"checkout","workloadKind":"Job"}""", "params.workloadKind")]
    [InlineData("""{"cluster":"staging","namespace":"shop","name":"checkout"}""", "params.cluster 'staging' is not a configured cluster")]
    [InlineData("""{"cluster":"prod","namspace":"shop","name":"checkout"}""", "params.namspace is not a parameter")]
    [InlineData("""{"cluster":"prod","namespace":"shop","name":"checkout","toRevision":0}""", "params.toRevision")]
    [InlineData("""{"cluster":"prod","namespace":"shop","name":"$(reboot)"}""", "params.name")]
    public void ValidateParams_InvalidOrHostile_NamesTheField(string parameters, string named) =>
        Assert.Contains(named, k8s.Workloads.ValidateParams(JsonNode.Parse(parameters)!.AsObject()));

    [Fact]
    public void ValidateParams_OneClusterConfigured_ClusterMayBeLeftOut() =>
        Assert.Null(k8s.Workloads.ValidateParams(new JsonObject { ["namespace"] = "shop", ["name"] = "checkout" }));

    [Fact]
    public async Task Rehearse_SendsTheRestorePatchAsAServerSideDryRun_AndChangesNothing()
    {
        k8s.Api.SeedWorkload("deployments", "shop", "checkout", 3, "registry/checkout:1.4.1", "registry/checkout:1.4.2");
        var prepared = await k8s.Workloads.PrepareAsync(KubernetesFixture.PrepareOf(Kind, Params()), default);
        k8s.Api.SetImage("deployments", "shop", "checkout", "registry/checkout:1.4.3"); // the deploy
        var before = k8s.Api.Deployment("shop", "checkout")!;

        var rehearsal = await k8s.Workloads.RehearseAsync(KubernetesFixture.RevertOf(Kind, Params(), prepared), default);

        Assert.Equal(Core.Deploys.RehearsalOutcome.Ok, rehearsal.Outcome);
        Assert.Contains("revision 2", rehearsal.Detail);
        var patch = Assert.Single(k8s.Api.Writes);
        Assert.Equal(("PATCH", "/apis/apps/v1/namespaces/shop/deployments/checkout?dryRun=All"), (patch.Method, patch.Path));
        // Spec and resourceVersion: the status moves on by itself while the deploy's rollout progresses.
        var after = k8s.Api.Deployment("shop", "checkout")!;
        Assert.Equal(before["spec"]!.ToJsonString(), after["spec"]!.ToJsonString());
        Assert.Equal((string?)before["metadata"]!["resourceVersion"], (string?)after["metadata"]!["resourceVersion"]);
    }

    [Fact]
    public async Task Rehearse_RestoreRefusedByTheApiServer_Fails_SayingWhy()
    {
        k8s.Api.SeedWorkload("deployments", "shop", "checkout", 3, "registry/checkout:1.4.1", "registry/checkout:1.4.2");
        var prepared = await k8s.Workloads.PrepareAsync(KubernetesFixture.PrepareOf(Kind, Params()), default);
        k8s.Api.SetImage("deployments", "shop", "checkout", "registry/checkout:1.4.3");
        k8s.Api.Faults["PATCH deployments/checkout"] = new([422]); // as an admission webhook refusing the old image

        var rehearsal = await k8s.Workloads.RehearseAsync(KubernetesFixture.RevertOf(Kind, Params(), prepared), default);

        Assert.Equal(Core.Deploys.RehearsalOutcome.Fails, rehearsal.Outcome);
        Assert.Contains("422", rehearsal.Detail);
    }

    /// <summary>
    /// kubernetes/kubernetes#67250: under OrderedReady the controller waits for a crash-looping pod of
    /// the bad revision before replacing it, so the rollback's revision never rolls out. The revert
    /// says so at once, naming the pod and what to do, rather than waiting out its deadline; it never
    /// deletes the pod itself (SAFETY.md: a destructive action is a human's).
    /// </summary>
    [Fact]
    public async Task Revert_OrderedReadyStatefulSetWithACrashLoopingPod_IsReportedStuckAtOnce_NamingThePod_WithoutDeletingIt()
    {
        k8s.Api.SeedWorkload("statefulsets", "shop", "ledger", 3, "registry/ledger:1.4.2");
        var prepared = await k8s.Workloads.PrepareAsync(KubernetesFixture.PrepareOf(Kind, Params("ledger", "StatefulSet")), default);
        k8s.Api.SetImage("statefulsets", "shop", "ledger", "registry/ledger:1.4.3"); // the deploy: ledger-2 crashes on it
        k8s.Api.StickStatefulSetPod("shop", "ledger", ordinal: 2);

        var result = await k8s.Workloads.RevertAsync(KubernetesFixture.RevertOf(Kind, Params("ledger", "StatefulSet"), prepared, waitLimit: TimeSpan.FromMinutes(10)), default);

        Assert.Equal(RevertOutcome.TimedOut, result.Outcome);
        Assert.Contains("restored revision", result.Detail);
        Assert.Contains("pod ledger-2", result.Detail);
        Assert.Contains("CrashLoopBackOff", result.Detail);
        Assert.Contains("kubernetes/kubernetes#67250", result.Detail);
        Assert.Contains("kubectl delete pod -n shop ledger-2", result.Detail);
        Assert.DoesNotContain(k8s.Api.Requests, r => r.Method == "DELETE");
    }

    [Fact]
    public async Task Revert_AfterADeploy_RestoresTheCapturedTemplateWithOneJsonPatch_AndWaitsForTheRollout()
    {
        k8s.Api.SeedWorkload("deployments", "shop", "checkout", 3, "registry/checkout:1.4.1", "registry/checkout:1.4.2");
        var prepared = await k8s.Workloads.PrepareAsync(KubernetesFixture.PrepareOf(Kind, Params()), default);
        k8s.Api.SetImage("deployments", "shop", "checkout", "registry/checkout:1.4.3"); // the deploy

        var result = await k8s.Workloads.RevertAsync(KubernetesFixture.RevertOf(Kind, Params(), prepared), default);

        Assert.Equal("2", (string?)prepared.Captured!["revision"]);
        Assert.Equal(RevertOutcome.Reverted, result.Outcome);
        Assert.Contains("restored revision 2", result.Detail);
        Assert.Contains("rollout complete: 3/3 updated, 3 available, 0 old", result.Detail);
        var patch = Assert.Single(k8s.Api.Writes);
        Assert.Equal(("PATCH", "/apis/apps/v1/namespaces/shop/deployments/checkout"), (patch.Method, patch.Path));
        Assert.StartsWith("application/json-patch+json", patch.ContentType);
        var ops = patch.Json!.AsArray();
        var op = ops[0]!;
        Assert.Equal(("replace", "/spec/template"), ((string)op["op"]!, (string)op["path"]!));
        Assert.Equal(("replace", "/metadata/resourceVersion"), ((string)ops[1]!["op"]!, (string)ops[1]!["path"]!)); // only over the version read
        Assert.Equal(2, ops.Count);
        Assert.Equal("registry/checkout:1.4.2", (string)op["value"]!["spec"]!["containers"]![0]!["image"]!);
        Assert.Null(op["value"]!["metadata"]!["labels"]!["pod-template-hash"]);
        var deployment = k8s.Api.Deployment("shop", "checkout");
        Assert.Equal("registry/checkout:1.4.2", ImageOf(deployment));
        Assert.Equal("4", (string?)deployment!["metadata"]!["annotations"]!["deployment.kubernetes.io/revision"]); // the old ReplicaSet, reused as the controller does
    }

    /// <summary>
    /// Issue 17, point 3: registered after <c>kubectl apply</c>, the "before" captured was the deploy's
    /// own state; the revert restored nothing and said reverted. Refused (422) naming the step.
    /// </summary>
    [Fact]
    public async Task Capture_TargetAlreadyRunsTheDeploysVersion_IsRefusedNamingTheStep()
    {
        k8s.Api.SeedWorkload("deployments", "shop", "checkout", 2, "registry/checkout:1.4.2");
        var capture = new StepCapture(new StepExecutorCatalog([k8s.Workloads]));
        var deploy = Testing.DeployBuilder.Record(steps: [new("rollout", Kind, [], Params(), Core.Deploys.RevertMode.Auto, Core.Deploys.StepStatus.Pending, null)]);

        var (record, failure) = await capture.CaptureAsync(deploy, default); // version 1.4.2

        Assert.Null(record);
        Assert.False(failure!.Transient);
        Assert.Contains("step rollout was registered after applying", Assert.Single(failure.Problems["steps[0]"]));
    }

    [Fact]
    public async Task Capture_AlreadyRunningButToRevisionSaysWhatToRestore_KeepsThatRevisionAsBefore()
    {
        k8s.Api.SeedWorkload("deployments", "shop", "checkout", 3, "registry/checkout:1.4.1", "registry/checkout:1.4.2");
        var capture = new StepCapture(new StepExecutorCatalog([k8s.Workloads]));
        var deploy = Testing.DeployBuilder.Record(steps: [new("rollout", Kind, [], Params(toRevision: 1), Core.Deploys.RevertMode.Auto, Core.Deploys.StepStatus.Pending, null)]);

        var (record, failure) = await capture.CaptureAsync(deploy, default);

        Assert.Null(failure);
        Assert.Equal("registry/checkout:1.4.1", record!.Steps[0].Before!.Shown["image app"]);
    }

    [Fact]
    public async Task Revert_Twice_PatchesOnce_AndSaysItIsAlreadyThere()
    {
        k8s.Api.SeedWorkload("deployments", "shop", "checkout", 2, "registry/checkout:1.4.2");
        var prepared = await k8s.Workloads.PrepareAsync(KubernetesFixture.PrepareOf(Kind, Params()), default);
        k8s.Api.SetImage("deployments", "shop", "checkout", "registry/checkout:1.4.3");

        var first = await k8s.Workloads.RevertAsync(KubernetesFixture.RevertOf(Kind, Params(), prepared), default);
        var second = await k8s.Workloads.RevertAsync(KubernetesFixture.RevertOf(Kind, Params(), prepared), default);

        Assert.Equal((RevertOutcome.Reverted, RevertOutcome.Reverted), (first.Outcome, second.Outcome));
        Assert.Contains("already at revision 1", second.Detail);
        Assert.Single(k8s.Api.Writes);
    }

    [Fact]
    public async Task Revert_TargetChangedAgainSinceTheDeploy_StillReturnsToTheStateFromBeforeIt()
    {
        k8s.Api.SeedWorkload("deployments", "shop", "checkout", 2, "registry/checkout:1.4.2");
        var prepared = await k8s.Workloads.PrepareAsync(KubernetesFixture.PrepareOf(Kind, Params()), default);
        k8s.Api.SetImage("deployments", "shop", "checkout", "registry/checkout:1.4.3");
        k8s.Api.SetImage("deployments", "shop", "checkout", "registry/checkout:1.4.4-hotfix");

        var result = await k8s.Workloads.RevertAsync(KubernetesFixture.RevertOf(Kind, Params(), prepared), default);

        Assert.Equal(RevertOutcome.Reverted, result.Outcome);
        Assert.Equal("registry/checkout:1.4.2", ImageOf(k8s.Api.Deployment("shop", "checkout")));
    }

    [Fact]
    public async Task Revert_ToRevision_RestoresThatReplicaSetsTemplate()
    {
        k8s.Api.SeedWorkload("deployments", "shop", "checkout", 2, "registry/checkout:1.4.1", "registry/checkout:1.4.2", "registry/checkout:1.4.3");

        var result = await k8s.Workloads.RevertAsync(KubernetesFixture.RevertOf(Kind, Params(toRevision: 1), StepPreparation.Nothing), default);

        Assert.Equal(RevertOutcome.Reverted, result.Outcome);
        Assert.Equal("registry/checkout:1.4.1", ImageOf(k8s.Api.Deployment("shop", "checkout")));
        Assert.Contains("restored revision 1", result.Detail);
    }

    [Fact]
    public async Task Revert_ToARevisionThatNoLongerExists_FailsSayingSo()
    {
        k8s.Api.SeedWorkload("deployments", "shop", "checkout", 2, "registry/checkout:1.4.2");

        var result = await k8s.Workloads.RevertAsync(KubernetesFixture.RevertOf(Kind, Params(toRevision: 7), StepPreparation.Nothing), default);

        Assert.Equal(RevertOutcome.Failed, result.Outcome);
        Assert.Contains("revision 7 no longer exists", result.Detail);
        Assert.Empty(k8s.Api.Writes);
    }

    [Fact]
    public async Task Revert_RolloutNeverBecomesAvailable_TimesOutWithWhatTheStatusSays()
    {
        k8s.Api.SeedWorkload("deployments", "shop", "checkout", 3, "registry/checkout:1.4.2");
        var prepared = await k8s.Workloads.PrepareAsync(KubernetesFixture.PrepareOf(Kind, Params()), default);
        k8s.Api.SetImage("deployments", "shop", "checkout", "registry/checkout:1.4.3");
        k8s.Api.NeverAvailable["shop/checkout"] = null;

        var result = await k8s.Workloads.RevertAsync(KubernetesFixture.RevertOf(Kind, Params(), prepared, waitLimit: TimeSpan.FromSeconds(1)), default);

        Assert.Equal(RevertOutcome.TimedOut, result.Outcome);
        Assert.Contains("rollout not complete: 1/3 updated, 2 available", result.Detail);
    }

    [Fact]
    public async Task Revert_ProgressDeadlineExceeded_EndsTheWaitWithTheConditionsMessage()
    {
        k8s.Api.SeedWorkload("deployments", "shop", "checkout", 3, "registry/checkout:1.4.2");
        var prepared = await k8s.Workloads.PrepareAsync(KubernetesFixture.PrepareOf(Kind, Params()), default);
        k8s.Api.SetImage("deployments", "shop", "checkout", "registry/checkout:1.4.3");
        k8s.Api.NeverAvailable["shop/checkout"] = "ReplicaSet \"checkout-5d8f\" has timed out progressing.";

        var result = await k8s.Workloads.RevertAsync(KubernetesFixture.RevertOf(Kind, Params(), prepared, waitLimit: TimeSpan.FromMinutes(5)), default);

        Assert.Equal(RevertOutcome.TimedOut, result.Outcome);
        Assert.Contains("ProgressDeadlineExceeded: ReplicaSet \"checkout-5d8f\" has timed out progressing.", result.Detail);
    }

    [Fact]
    public async Task Revert_TransientApiFaults_AreRetriedInsideTheCall()
    {
        k8s.Api.SeedWorkload("deployments", "shop", "checkout", 2, "registry/checkout:1.4.2");
        var prepared = await k8s.Workloads.PrepareAsync(KubernetesFixture.PrepareOf(Kind, Params()), default);
        k8s.Api.SetImage("deployments", "shop", "checkout", "registry/checkout:1.4.3");
        k8s.Api.Faults["PATCH /deployments/checkout"] = new([503, 429]);

        var result = await k8s.Workloads.RevertAsync(KubernetesFixture.RevertOf(Kind, Params(), prepared), default);

        Assert.Equal(RevertOutcome.Reverted, result.Outcome);
        Assert.Equal(3, k8s.Api.Writes.Count(w => w.Method == "PATCH"));
    }

    [Fact]
    public async Task Revert_ApiDownBeyondTheRetries_ThrowsForTheDurableRetry()
    {
        k8s.Api.SeedWorkload("deployments", "shop", "checkout", 2, "registry/checkout:1.4.2");
        var prepared = await k8s.Workloads.PrepareAsync(KubernetesFixture.PrepareOf(Kind, Params()), default);
        k8s.Api.Faults["GET /deployments/checkout"] = new([503, 503, 503, 503]);

        var thrown = await Assert.ThrowsAsync<StepUnavailableException>(() => k8s.Workloads.RevertAsync(KubernetesFixture.RevertOf(Kind, Params(), prepared), default));

        Assert.Contains("answered 503", thrown.Message);
        Assert.Empty(k8s.Api.Writes);
    }

    [Fact]
    public async Task Prepare_MissingWorkload_IsNotTransient_AndSaysWhatToDo()
    {
        var prepared = await k8s.Workloads.PrepareAsync(KubernetesFixture.PrepareOf(Kind, Params("ghost")), default);

        Assert.False(prepared.Transient);
        Assert.Contains("does not exist", prepared.Problem);
        Assert.Contains("revert.mode manual", prepared.Problem);
    }

    [Fact]
    public async Task Prepare_ApiDown_IsTransient()
    {
        k8s.Api.Faults["GET /deployments/checkout"] = new([500, 500, 500, 500]);

        var prepared = await k8s.Workloads.PrepareAsync(KubernetesFixture.PrepareOf(Kind, Params()), default);

        Assert.True(prepared.Transient);
        Assert.Contains("answered 500", prepared.Problem);
    }

    [Theory]
    [InlineData("statefulsets", "StatefulSet")]
    [InlineData("daemonsets", "DaemonSet")]
    public async Task Revert_StatefulSetOrDaemonSet_RestoresTheCapturedTemplate(string plural, string workloadKind)
    {
        k8s.Api.SeedWorkload(plural, "shop", "ledger", 3, "registry/ledger:2.0.0", "registry/ledger:2.1.0");
        var parameters = Params("ledger", workloadKind);
        var prepared = await k8s.Workloads.PrepareAsync(KubernetesFixture.PrepareOf(Kind, parameters), default);
        k8s.Api.SetImage(plural, "shop", "ledger", "registry/ledger:2.2.0");

        var result = await k8s.Workloads.RevertAsync(KubernetesFixture.RevertOf(Kind, parameters, prepared), default);

        Assert.Equal("2", (string?)prepared.Captured!["revision"]);
        Assert.Equal(RevertOutcome.Reverted, result.Outcome);
        Assert.Equal("registry/ledger:2.1.0", ImageOf(k8s.Api.Get("/apis/apps/v1", "shop", plural, "ledger")));
        Assert.Equal($"/apis/apps/v1/namespaces/shop/{plural}/ledger", Assert.Single(k8s.Api.Writes).Path);
    }

    [Fact]
    public async Task Revert_StatefulSetToRevision_UsesTheControllerRevision()
    {
        k8s.Api.SeedWorkload("statefulsets", "shop", "ledger", 3, "registry/ledger:2.0.0", "registry/ledger:2.1.0", "registry/ledger:2.2.0");

        var result = await k8s.Workloads.RevertAsync(KubernetesFixture.RevertOf(Kind, Params("ledger", "StatefulSet", toRevision: 1), StepPreparation.Nothing), default);

        Assert.Equal(RevertOutcome.Reverted, result.Outcome);
        Assert.Equal("registry/ledger:2.0.0", ImageOf(k8s.Api.Get("/apis/apps/v1", "shop", "statefulsets", "ledger")));
    }

    public async Task InitializeAsync() => k8s = await KubernetesFixture.StartAsync();

    public async Task DisposeAsync() => await k8s.DisposeAsync();
}
