using RollbackFunctions.Core.Alerts;
using RollbackFunctions.Core.Notifications;
using RollbackFunctions.Core.Rollbacks;
using RollbackFunctions.Core.Tests.TestDoubles;
using RollbackFunctions.Core.Verification;
using static RollbackFunctions.Testing.DeployBuilder;

namespace RollbackFunctions.Core.Tests.Orchestration;

public sealed class VerificationTests : IAsyncLifetime
{
    private static readonly RollbackConditions ErrorRate = new()
    {
        Checks = [new ConditionCheck { Name = "errors", Query = "sum(rate(errors[1m]))", UnhealthyAbove = 0.05 }],
    };

    private readonly RollbackHarness harness = new();

    [Fact]
    public async Task Verify_MetricRecovers_SucceedsAfterTheRequiredHealthySamplesInARow()
    {
        var bad = ScriptedMetricSource.Value(0.4);
        var good = ScriptedMetricSource.Value(0.01);
        harness.Metrics.Then(bad, good, bad, good, good, good);

        var result = await harness.RunAsync([Step("only")], conditions: ErrorRate);

        Assert.Equal(RollbackPhase.Succeeded, result.Phase);
        Assert.Equal(6, harness.Metrics.Queries); // the bad sample between good ones restarts the count
        var samples = await harness.Rollbacks.GetSamplesAsync(result.RollbackId, default);
        Assert.Equal([Verdict.Unhealthy, Verdict.Healthy, Verdict.Unhealthy, Verdict.Healthy, Verdict.Healthy, Verdict.Healthy], samples.Select(s => s.Verdict));
        Assert.Equal(PageKind.RollbackSucceeded, harness.Pager.Kinds[^1]);
        Assert.Contains(RollbackPhase.Verifying, (await harness.Rollbacks.GetAsync(result.RollbackId, default))!.Timeline.Select(t => t.Phase));
    }

    [Fact]
    public async Task Verify_MetricStaysBad_FailsAndEscalatesWhenTheWindowEnds()
    {
        harness.Metrics.Then(ScriptedMetricSource.Value(0.4));
        var shortWindow = ErrorRate with { VerifyWindow = TimeSpan.FromSeconds(2), Interval = TimeSpan.FromMilliseconds(200) };

        var result = await harness.RunAsync([Step("only")], conditions: shortWindow);

        Assert.Equal(RollbackPhase.Failed, result.Phase);
        Assert.Contains("did not restore health", result.Summary);
        Assert.Contains("0.4 is above 0.05", result.Summary);
        Assert.InRange(harness.Metrics.Queries, 2, 12); // sampled on the interval (at most 2 s / 200 ms + 1), not in a hot loop
        Assert.Equal(PageKind.RollbackFailed, harness.Pager.Kinds[^1]);
    }

    [Fact]
    public async Task Verify_NoDataWithInconclusivePolicy_NeverCountsAsHealthy()
    {
        harness.Metrics.Then(new MetricQueryResult([], null));
        var conditions = ErrorRate with { VerifyWindow = TimeSpan.FromSeconds(1), Interval = TimeSpan.FromMilliseconds(200) };

        var result = await harness.RunAsync([Step("only")], conditions: conditions);

        Assert.Equal(RollbackPhase.Failed, result.Phase);
        Assert.Contains("no data", result.Summary);
        var samples = await harness.Rollbacks.GetSamplesAsync(result.RollbackId, default);
        Assert.True(samples.Count >= 2, $"sampled {samples.Count} time(s) in a 1 s window at 200 ms");
        Assert.All(samples, s => Assert.Equal(Verdict.Inconclusive, s.Verdict));
        Assert.Equal(PageKind.RollbackFailed, harness.Pager.Kinds[^1]);
    }

    [Fact]
    public async Task Verify_NoDataWithHealthyPolicy_Succeeds()
    {
        harness.Metrics.Then(new MetricQueryResult([], null));

        var result = await harness.RunAsync([Step("only")], conditions: ErrorRate with { NoData = NoDataPolicy.Healthy });

        Assert.Equal(RollbackPhase.Succeeded, result.Phase);
        var samples = await harness.Rollbacks.GetSamplesAsync(result.RollbackId, default);
        Assert.Equal([Verdict.Healthy, Verdict.Healthy, Verdict.Healthy], samples.Select(s => s.Verdict)); // the check itself stays inconclusive; the policy decides
        Assert.All(samples, s => Assert.Equal(Verdict.Inconclusive, Assert.Single(s.Checks).Verdict));
        Assert.Equal(PageKind.RollbackSucceeded, harness.Pager.Kinds[^1]);
    }

    [Fact]
    public async Task Verify_QueryErrors_AreErrorsNotHealth()
    {
        harness.Metrics.Then(MetricQueryResult.Failed("HTTP 422 execution: bad"));
        var conditions = ErrorRate with { VerifyWindow = TimeSpan.FromSeconds(1), Interval = TimeSpan.FromMilliseconds(200), NoData = NoDataPolicy.Healthy };

        var result = await harness.RunAsync([Step("only")], conditions: conditions);

        Assert.Equal(RollbackPhase.Failed, result.Phase);
        var samples = await harness.Rollbacks.GetSamplesAsync(result.RollbackId, default);
        Assert.NotEmpty(samples);
        Assert.All(samples, s => Assert.Equal(Verdict.Error, s.Verdict));
        Assert.Contains("HTTP 422", samples[^1].Summary);
        Assert.Equal(PageKind.RollbackFailed, harness.Pager.Kinds[^1]);
    }

    [Fact]
    public async Task Verify_WithoutConditions_WaitsForTheTriggeringAlertsToResolve()
    {
        var alert = new AlertSignal(AlertSource.Alertmanager, "g|f1|1", "HighErrorRate", AlertStatus.Firing, new Dictionary<string, string>(), new Dictionary<string, string>(), T0, null);
        var id = await harness.StartAsync([Step("only")], alerts: alert);
        await Eventually.HoldsAsync(
            async () => (await harness.Rollbacks.GetSamplesAsync(id, default)).Count > 0,
            TimeSpan.FromSeconds(30), () => "verification never sampled");
        harness.Alerts.Resolved[alert.DedupKey] = true;

        var result = await harness.WaitAsync(id);

        Assert.Equal(RollbackPhase.Succeeded, result.Phase);
        Assert.Contains("resolved", result.Summary);
        var samples = await harness.Rollbacks.GetSamplesAsync(result.RollbackId, default);
        Assert.Equal(Verdict.Unhealthy, samples[0].Verdict); // firing while the test waited
        Assert.Equal("still firing", Assert.Single(samples[0].Checks).Detail);
        Assert.Equal(Verdict.Healthy, samples[^1].Verdict);
        Assert.Equal(PageKind.RollbackSucceeded, harness.Pager.Kinds[^1]);
    }

    [Fact]
    public async Task Verify_WithoutConditions_AlertNeverResolves_Fails()
    {
        var alert = new AlertSignal(AlertSource.Alertmanager, "g|f1|1", "HighErrorRate", AlertStatus.Firing, new Dictionary<string, string>(), new Dictionary<string, string>(), T0, null);
        var settings = RollbackHarness.FastSettings with { Verification = RollbackHarness.FastSettings.Verification with { Window = TimeSpan.FromSeconds(1) } };

        var result = await harness.RunAsync([Step("only")], settings, alerts: alert);

        Assert.Equal(RollbackPhase.Failed, result.Phase);
        Assert.Contains("still firing", result.Summary);
        var samples = await harness.Rollbacks.GetSamplesAsync(result.RollbackId, default);
        Assert.NotEmpty(samples);
        Assert.All(samples, s => Assert.Equal(Verdict.Unhealthy, s.Verdict));
        Assert.Equal(PageKind.RollbackFailed, harness.Pager.Kinds[^1]);
    }

    /// <summary>
    /// Issue 16, defect 3: a dry-run check gated verification although it must never decide, and a
    /// divergence check has no data once the canary is gone, so a good rollback timed out as failed.
    /// </summary>
    [Fact]
    public async Task Verify_DryRunAndDivergenceChecks_DoNotDecide_AndTheEvidenceSaysWhichDid()
    {
        harness.Metrics.Then(ScriptedMetricSource.Value(0.01));
        harness.Metrics.ByQuery["canary_errors"] = new MetricQueryResult([], null); // the canary was rolled back
        var conditions = ErrorRate with
        {
            Checks =
            [
                .. ErrorRate.Checks,
                new ConditionCheck { Name = "strict", Query = "strict_errors", UnhealthyAbove = 0.001, DryRun = true },
                new ConditionCheck { Name = "canary", Divergence = new DivergenceCheck { Canary = "canary_errors", Baseline = "baseline_errors" } },
            ],
            VerifyWindow = TimeSpan.FromSeconds(3),
            Interval = TimeSpan.FromMilliseconds(100),
        };

        var result = await harness.RunAsync([Step("only")], conditions: conditions);

        Assert.Equal(RollbackPhase.Succeeded, result.Phase);
        Assert.Contains("verified healthy on errors (not deciding: strict (dry run), canary (divergence))", result.Summary);
        Assert.All(await harness.Rollbacks.GetSamplesAsync(result.RollbackId, default), s => Assert.Equal("errors", Assert.Single(s.Checks).Name));
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => harness.DisposeAsync().AsTask();
}
