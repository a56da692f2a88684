using System.Text.Json.Nodes;
using RollbackFunctions.Core.Executors;
using RollbackFunctions.Infrastructure.Executors.Kubernetes;

namespace RollbackFunctions.Infrastructure.Tests.Executors;

/// <summary>
/// <c>argoRollout</c> with the real client against the fake API server's stand-in of the Argo
/// Rollouts controller (steps, pauses, promoteFull, abort). SAFETY.md 4 (once per effect: a retry
/// recognises its own rollout) and 5 (Reverted only when the Rollout is Healthy on the captured stable ReplicaSet).
/// </summary>
public sealed class ArgoRolloutExecutorTests : IAsyncLifetime
{
    private const string Argo = "/apis/argoproj.io/v1alpha1";
    private const string Good = "registry/checkout:1.4.2";
    private const string Bad = "registry/checkout:1.4.3";
    private KubernetesFixture k8s = null!;

    public async Task InitializeAsync() => k8s = await KubernetesFixture.StartAsync();

    public async Task DisposeAsync() => await k8s.DisposeAsync();

    private static JsonObject Params(string? canary = null)
    {
        var p = new JsonObject { ["cluster"] = "prod", ["namespace"] = "shop", ["name"] = "checkout" };
        if (canary is not null)
        {
            p["canary"] = canary;
        }

        return p;
    }

    /// <summary>The scenario: the alert fires in the bake window, when the deploy's version is already stable.</summary>
    private async Task<StepPreparation> BadVersionStableAsync(JsonArray? steps = null)
    {
        k8s.Api.SeedRollout("shop", "checkout", Good, steps);
        var prepared = await k8s.Rollouts.PrepareAsync(KubernetesFixture.PrepareOf("argoRollout", Params()), default);
        k8s.Api.StartCanary("shop", "checkout", Bad);
        k8s.Api.CompleteRollout("shop", "checkout");
        return prepared;
    }

    private JsonObject Rollout() => k8s.Api.Get(Argo, "shop", "rollouts", "checkout")!;

    [Fact]
    public async Task Revert_BadVersionAlreadyStable_RetryAfterTheTemplateWasRestored_PromotesFullyAndNeverAborts()
    {
        var prepared = await BadVersionStableAsync();
        var captured = (string?)prepared.Captured!["stableRS"];
        k8s.Api.Faults["PATCH /rollouts/checkout/status"] = new([500, 500, 500, 500]); // attempt 1 dies after its first write

        var first = await Record.ExceptionAsync(() => k8s.Rollouts.RevertAsync(KubernetesFixture.RevertOf("argoRollout", Params(), prepared), default));
        var second = await k8s.Rollouts.RevertAsync(KubernetesFixture.RevertOf("argoRollout", Params(), prepared), default);

        Assert.IsType<StepUnavailableException>(first);
        Assert.True(second.Outcome == RevertOutcome.Reverted, second.Detail);
        Assert.DoesNotContain(k8s.Api.Writes, w => w.Body.Contains("\"abort\"", StringComparison.Ordinal));
        Assert.Contains(k8s.Api.Writes, w => w.Path.EndsWith("/rollouts/checkout/status", StringComparison.Ordinal) && (bool?)w.Json!["status"]!["promoteFull"] == true);
        var rollout = Rollout();
        Assert.Equal("Healthy", (string?)rollout["status"]!["phase"]);
        Assert.Equal(captured, (string?)rollout["status"]!["stableRS"]);
        Assert.Equal(Good, (string?)rollout["spec"]!["template"]!["spec"]!["containers"]![0]!["image"]);
        Assert.Equal("rb-d1", (string?)rollout["metadata"]!["annotations"]![ArgoRolloutExecutor.RollbackAnnotation]);
        Assert.Single(k8s.Api.Writes, w => w.Path.EndsWith("/rollouts/checkout", StringComparison.Ordinal)); // the template once
    }

    [Fact]
    public async Task Revert_BadVersionAlreadyStable_DoesNotWaitOnTheIndefinitePause()
    {
        var prepared = await BadVersionStableAsync();

        var result = await k8s.Rollouts.RevertAsync(KubernetesFixture.RevertOf("argoRollout", Params(), prepared, waitLimit: TimeSpan.FromSeconds(10)), default);

        Assert.True(result.Outcome == RevertOutcome.Reverted, result.Detail);
        Assert.Contains("promoteFull", result.Detail);
        Assert.Equal((string?)prepared.Captured!["stableRS"], (string?)Rollout()["status"]!["stableRS"]);
    }

    [Fact]
    public async Task Revert_CanaryWalk_WalksTheStepsWithoutPromoting()
    {
        var prepared = await BadVersionStableAsync(new JsonArray(new JsonObject { ["setWeight"] = 20 }, new JsonObject { ["setWeight"] = 50 }));

        var result = await k8s.Rollouts.RevertAsync(KubernetesFixture.RevertOf("argoRollout", Params("walk"), prepared), default);

        Assert.True(result.Outcome == RevertOutcome.Reverted, result.Detail);
        Assert.DoesNotContain(k8s.Api.Writes, w => w.Path.EndsWith("/status", StringComparison.Ordinal));
        Assert.Equal((string?)prepared.Captured!["stableRS"], (string?)Rollout()["status"]!["stableRS"]);
    }

    [Fact]
    public async Task Revert_CanaryWalkIntoAnIndefinitePause_TimesOutSayingSo()
    {
        var prepared = await BadVersionStableAsync();

        var result = await k8s.Rollouts.RevertAsync(KubernetesFixture.RevertOf("argoRollout", Params("walk"), prepared, waitLimit: TimeSpan.FromSeconds(1.5)), default);

        Assert.Equal(RevertOutcome.TimedOut, result.Outcome);
        Assert.Contains("indefinite pause", result.Detail);
    }

    [Fact]
    public async Task Revert_CanaryInProgressOverTheCapturedStable_AbortsThenRestores_WithoutPromoting()
    {
        k8s.Api.SeedRollout("shop", "checkout", Good);
        var prepared = await k8s.Rollouts.PrepareAsync(KubernetesFixture.PrepareOf("argoRollout", Params()), default);
        k8s.Api.StartCanary("shop", "checkout", Bad);

        var result = await k8s.Rollouts.RevertAsync(KubernetesFixture.RevertOf("argoRollout", Params(), prepared), default);

        Assert.True(result.Outcome == RevertOutcome.Reverted, result.Detail);
        var writes = k8s.Api.Writes.ToList();
        Assert.Equal(2, writes.Count);
        Assert.True((bool)writes[0].Json!["status"]!["abort"]!);
        Assert.EndsWith("/rollouts/checkout", writes[1].Path, StringComparison.Ordinal);
        Assert.Equal("Healthy", (string?)Rollout()["status"]!["phase"]);
    }

    [Fact]
    public void ValidateParams_UnknownCanaryMode_IsRefused() =>
        Assert.Contains("params.canary", k8s.Rollouts.ValidateParams(Params("sprint")));
}
