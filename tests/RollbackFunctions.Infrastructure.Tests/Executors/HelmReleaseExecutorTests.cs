using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using RollbackFunctions.Core.Executors;
using RollbackFunctions.Infrastructure.Audit;
using RollbackFunctions.Infrastructure.Executors.Helm;
using RollbackFunctions.Infrastructure.Executors.Kubernetes;
using RollbackFunctions.Infrastructure.Executors.Processes;

namespace RollbackFunctions.Infrastructure.Tests.Executors;

/// <summary>helm cannot be installed here: a stand-in at the configured path records the calls and answers like helm 3.</summary>
public sealed class HelmReleaseExecutorTests : IDisposable
{
    private const string Script = """
        case "$1" in
          history)
            if [ -f "$state/history-exit" ]; then cat "$state/history-stderr" >&2; exit "$(cat "$state/history-exit")"; fi
            cat "$state/history.json";;
          status)
            if [ -f "$state/status-exit" ]; then cat "$state/status-stderr" >&2; exit "$(cat "$state/status-exit")"; fi
            if [ -f "$state/status.json" ]; then cat "$state/status.json"; else echo '{"name":"checkout","info":{"status":"deployed"},"version":42}'; fi;;
          rollback)
            if [ -f "$state/rollback-exit" ]; then cat "$state/rollback-stderr" >&2; exit "$(cat "$state/rollback-exit")"; fi
            case " $* " in *" --dry-run "*) echo "Rollback was a success! Happy Helming!"; exit 0;; esac
            cp "$state/history-after-rollback.json" "$state/history.json"; rm -f "$state/status.json"
            echo "Rollback was a success! Happy Helming!";;
          *) echo "unexpected helm command: $1" >&2; exit 64;;
        esac
        """;

    private const string Deployed41 = """
        [{"revision":40,"updated":"2026-11-20T10:00:00.1Z","status":"superseded","chart":"checkout-1.4.1","app_version":"1.4.1","description":"Upgrade complete"},
         {"revision":41,"updated":"2026-11-25T10:00:00.1Z","status":"deployed","chart":"checkout-1.4.2","app_version":"1.4.2","description":"Upgrade complete"}]
        """;

    private const string Deployed42 = """
        [{"revision":41,"updated":"2026-11-25T10:00:00.1Z","status":"superseded","chart":"checkout-1.4.2","app_version":"1.4.2","description":"Upgrade complete"},
         {"revision":42,"updated":"2026-11-27T23:30:00.1Z","status":"deployed","chart":"checkout-1.4.3","app_version":"1.4.3","description":"Upgrade complete"}]
        """;

    private const string RolledBackTo41 = """
        [{"revision":42,"updated":"2026-11-27T23:30:00.1Z","status":"superseded","chart":"checkout-1.4.3","app_version":"1.4.3","description":"Upgrade complete"},
         {"revision":43,"updated":"2026-11-27T23:35:00.1Z","status":"deployed","chart":"checkout-1.4.2","app_version":"1.4.2","description":"Rollback to 41"}]
        """;

    private readonly StandIn helm = StandIn.Create("helm", Script);
    private readonly HelmReleaseExecutor executor;

    public HelmReleaseExecutorTests()
    {
        var clusters = new KubernetesClusters(Options.Create(new KubernetesOptions
        {
            Clusters = { ["prod"] = new KubernetesClusterOptions { Kubeconfig = "/etc/rollback/prod.kubeconfig", Context = "prod-admin" } },
        }));
        executor = new HelmReleaseExecutor(Options.Create(new HelmOptions { Path = helm.Path, PendingWait = TimeSpan.FromMilliseconds(300) }), clusters, new ProcessRunner(new SecretRedactor([])));
        helm.Write("history-after-rollback.json", RolledBackTo41);
    }

    private static JsonObject Params(int? revision = null)
    {
        var p = new JsonObject { ["cluster"] = "prod", ["namespace"] = "shop", ["release"] = "checkout" };
        if (revision is not null)
        {
            p["revision"] = revision;
        }

        return p;
    }

    [Fact]
    public async Task Rehearse_RunsHelmRollbackDryRun_AndTheReleaseIsUnchanged()
    {
        helm.Write("history.json", Deployed41);
        var prepared = await executor.PrepareAsync(new StepPrepareRequest("d1", "chart", "helmRelease", Params()), default);
        helm.Write("history.json", Deployed42); // the deploy

        var rehearsal = await executor.RehearseAsync(Revert(Params(), prepared), default);

        Assert.Equal(Core.Deploys.RehearsalOutcome.Ok, rehearsal.Outcome);
        var call = Assert.Single(helm.Calls, c => c[1] == "rollback");
        Assert.Equal(["rollback", "checkout", "41", "--namespace", "shop", "--dry-run", "--kubeconfig", "/etc/rollback/prod.kubeconfig", "--kube-context", "prod-admin"], call[1..]);
        Assert.Equal(Deployed42, helm.Read("history.json"));
    }

    private static StepRevertRequest Revert(JsonObject parameters, StepPreparation prepared) =>
        new("rb-d1", "d1", "chart", "helmRelease", parameters, "1.4.3", "1.4.2") { Captured = prepared.Captured, WaitLimit = TimeSpan.FromMinutes(10) };

    [Fact]
    public async Task Revert_RollsBackToTheRevisionDeployedAtRegistration_WithTheClustersKubeconfig()
    {
        helm.Write("history.json", Deployed41);
        var prepared = await executor.PrepareAsync(new StepPrepareRequest("d1", "chart", "helmRelease", Params()), default);
        helm.Write("history.json", Deployed42); // the deploy

        var result = await executor.RevertAsync(Revert(Params(), prepared), default);

        Assert.Equal(41, (long)prepared.Captured!["revision"]!);
        Assert.Equal("checkout-1.4.2", (string?)prepared.Captured["chart"]);
        Assert.Equal(RevertOutcome.Reverted, result.Outcome);
        Assert.Contains("back to revision 41", result.Detail);
        var rollback = Assert.Single(helm.Calls, c => c[1] == "rollback");
        Assert.Equal(
            ["rollback", "checkout", "41", "--namespace", "shop", "--wait", "--timeout", "540s", "--kubeconfig", "/etc/rollback/prod.kubeconfig", "--kube-context", "prod-admin"],
            rollback[1..]);
        Assert.Equal(["history", "checkout", "--namespace", "shop", "--max", "50", "--output", "json", "--kubeconfig", "/etc/rollback/prod.kubeconfig", "--kube-context", "prod-admin"], helm.Calls[0][1..]);
    }

    [Fact]
    public async Task Revert_Twice_RollsBackOnce()
    {
        helm.Write("history.json", Deployed41);
        var prepared = await executor.PrepareAsync(new StepPrepareRequest("d1", "chart", "helmRelease", Params()), default);
        helm.Write("history.json", Deployed42);

        await executor.RevertAsync(Revert(Params(), prepared), default);
        var second = await executor.RevertAsync(Revert(Params(), prepared), default);

        Assert.Equal(RevertOutcome.Reverted, second.Outcome);
        Assert.Contains("already at revision 41 (revision 43: Rollback to 41)", second.Detail);
        Assert.Single(helm.Calls, c => c[1] == "rollback");
    }

    [Fact]
    public async Task Revert_HelmTimesOutWaiting_IsTimedOutWithHelmsWords()
    {
        helm.Write("history.json", Deployed42);
        helm.Write("rollback-exit", "1");
        helm.Write("rollback-stderr", "Error: release checkout failed: timed out waiting for the condition");

        var result = await executor.RevertAsync(Revert(Params(revision: 41), StepPreparation.Nothing), default);

        Assert.Equal(RevertOutcome.TimedOut, result.Outcome);
        Assert.Contains("timed out waiting for the condition", result.Detail);
    }

    [Fact]
    public async Task Prepare_ReleaseNotFound_IsNotTransient()
    {
        helm.Write("history-exit", "1");
        helm.Write("history-stderr", "Error: release: not found");

        var prepared = await executor.PrepareAsync(new StepPrepareRequest("d1", "chart", "helmRelease", Params()), default);

        Assert.False(prepared.Transient);
        Assert.Contains("does not exist", prepared.Problem);
    }

    [Fact]
    public async Task Revert_ReleaseStuckInPendingUpgrade_WaitsForIt_ThenRollsBackSayingSo()
    {
        helm.Write("history.json", Deployed41);
        var prepared = await executor.PrepareAsync(new StepPrepareRequest("d1", "chart", "helmRelease", Params()), default);
        helm.Write("history.json", Deployed41.Replace("]", """,{"revision":42,"updated":"2026-11-27T23:30:00.1Z","status":"pending-upgrade","chart":"checkout-1.4.3","app_version":"1.4.3","description":"Preparing upgrade"}]""", StringComparison.Ordinal));
        helm.Write("status.json", """{"name":"checkout","info":{"status":"pending-upgrade","description":"Preparing upgrade"},"version":42}""");

        var result = await executor.RevertAsync(Revert(Params(), prepared), default);

        Assert.True(result.Outcome == RevertOutcome.Reverted, result.Detail);
        Assert.Contains("pending-upgrade", result.Detail);
        var calls = helm.Calls.ToList();
        var status = calls.FindIndex(c => c[1] == "status");
        Assert.True(status >= 0 && status < calls.FindIndex(c => c[1] == "rollback"), string.Join("\n", calls.Select(c => string.Join(' ', c))));
        Assert.Equal(["status", "checkout", "--namespace", "shop", "--output", "json"], helm.Calls[status][1..7]);
    }

    [Fact]
    public async Task Prepare_NotFoundInAnotherError_IsNotAMissingRelease()
    {
        helm.Write("history-exit", "1");
        helm.Write("history-stderr", "Error: Kubernetes cluster unreachable: exec: \"aws\": executable file not found in $PATH");

        var prepared = await executor.PrepareAsync(new StepPrepareRequest("d1", "chart", "helmRelease", Params()), default);

        Assert.DoesNotContain("does not exist", prepared.Problem);
        Assert.Contains("cluster unreachable", prepared.Problem);
    }

    [Fact]
    public async Task Revert_HistoryUnreadable_ThrowsForTheDurableRetry()
    {
        helm.Write("history-exit", "1");
        helm.Write("history-stderr", "Error: Kubernetes cluster unreachable: Get \"https://10.0.0.1/version\": dial tcp: i/o timeout");

        await Assert.ThrowsAsync<StepUnavailableException>(() => executor.RevertAsync(Revert(Params(revision: 41), StepPreparation.Nothing), default));
        Assert.DoesNotContain(helm.Calls, c => c[1] == "rollback");
    }

    [Theory]
    [InlineData("""{"cluster":"prod","namespace":"shop","release":"Checkout"}""", "params.release")]
    [InlineData("""{"cluster":"prod","namespace":"shop","release":"checkout; rm -rf /"}""", "params.release")]
    [InlineData("""{"cluster":"prod","namespace":"shop","release":"--kubeconfig=/tmp/x"}""", "params.release")]
    [InlineData("""{"cluster":"prod","namespace":"shop","release":"checkout","revision":"41"}""", "params.revision")]
    [InlineData("""{"cluster":"edge","namespace":"shop","release":"checkout"}""", "params.cluster 'edge'")]
    public void ValidateParams_NamesTheField(string parameters, string named) =>
        Assert.Contains(named, executor.ValidateParams(JsonNode.Parse(parameters)!.AsObject()));

    public void Dispose() => helm.Dispose();
}
