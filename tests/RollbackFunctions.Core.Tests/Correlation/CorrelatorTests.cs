using RollbackFunctions.Core.Alerts;
using RollbackFunctions.Core.Correlation;
using RollbackFunctions.Core.Deploys;
using static RollbackFunctions.Testing.DeployBuilder;

namespace RollbackFunctions.Core.Tests.Correlation;

public sealed class CorrelatorTests
{
    private readonly Correlator correlator = new(new CorrelationOptions());

    [Fact]
    public void Decide_ServiceEnvironmentAndLabelsMatch_ChoosesTheDeploy()
    {
        var deploy = Record(labels: new Dictionary<string, string> { ["cluster"] = "eu1" });

        var decision = correlator.Decide(Alert(("cluster", "eu1")), [deploy], T0.AddMinutes(5));

        Assert.Equal(deploy.DeployId, decision.DeployId);
    }

    /// <summary>Issue 9, finding 6: the explanation listed every deploy ever registered until a row broke the 64 KiB property limit.</summary>
    [Fact]
    public void Decide_ThousandsOfDeploys_TheExplanationStaysShortAndCountsTheRest()
    {
        var stable = Enumerable.Range(0, 5000).Select(i => Record(id: $"checkout-{i:D5}", state: DeployState.Stable, registeredAt: T0.AddMinutes(i))).ToList();
        var live = Enumerable.Range(0, 3000).Select(i => Record(id: $"live-{i:D5}", registeredAt: T0.AddMinutes(i))).ToList();
        var alert = Alert(T0.AddDays(5));

        var unmatched = correlator.Decide(alert, stable, T0.AddDays(10));
        var matched = correlator.Decide(alert, live, T0.AddDays(10));

        Assert.Null(unmatched.DeployId);
        Assert.True(unmatched.Reason.Length < 1000, $"{unmatched.Reason.Length} characters");
        Assert.Contains("checkout-04999", unmatched.Reason); // the newest come first
        Assert.Contains("and 4995 more", unmatched.Reason);
        Assert.Equal("live-02999", matched.DeployId);
        Assert.True(matched.Reason.Length < 1000, $"{matched.Reason.Length} characters");
        Assert.Contains("and 2994 more", matched.Reason); // 2,999 passed over, five named
    }

    [Fact]
    public void Decide_DeployLabelMissingOnAlert_StillMatches() =>
        Assert.NotNull(correlator.Decide(Alert(), [Record(labels: new Dictionary<string, string> { ["cluster"] = "eu1" })], T0.AddMinutes(5)).DeployId);

    [Fact]
    public void Decide_LabelDiffers_DoesNotMatchAndSaysWhy()
    {
        var decision = correlator.Decide(Alert(("cluster", "us2")), [Record(labels: new Dictionary<string, string> { ["cluster"] = "eu1" })], T0.AddMinutes(5));

        Assert.Null(decision.DeployId);
        Assert.Contains("cluster", decision.Reason);
    }

    [Fact]
    public void Decide_OtherEnvironment_DoesNotMatch() =>
        Assert.Null(correlator.Decide(Alert(("environment", "staging")), [Record()], T0.AddMinutes(5)).DeployId);

    [Fact]
    public void Decide_AlertStartedBeforeTheDeploy_DoesNotMatch()
    {
        var decision = correlator.Decide(Alert(startsAt: T0.AddSeconds(-1)), [Record()], T0.AddMinutes(5));

        Assert.Null(decision.DeployId);
        Assert.Contains("before the deploy", decision.Reason);
    }

    [Fact]
    public void Decide_AlertSourceClockBehindWithinTheSkew_StillMatches()
    {
        var tolerant = new Correlator(new CorrelationOptions(), clockSkew: TimeSpan.FromMinutes(1));

        Assert.NotNull(tolerant.Decide(Alert(startsAt: T0.AddSeconds(-50)), [Record()], T0.AddMinutes(5)).DeployId);
        Assert.Null(tolerant.Decide(Alert(startsAt: T0.AddSeconds(-70)), [Record()], T0.AddMinutes(5)).DeployId);
    }

    [Fact]
    public void Decide_BakeWindowOver_DoesNotMatch()
    {
        var baked = Record(state: DeployState.Baking) with { CompletedAt = T0.AddMinutes(1) };

        Assert.NotNull(correlator.Decide(Alert(startsAt: T0.AddMinutes(2)), [baked], T0.AddMinutes(30)).DeployId);
        Assert.Null(correlator.Decide(Alert(startsAt: T0.AddMinutes(2)), [baked], T0.AddMinutes(31)).DeployId);
    }

    [Fact]
    public void Decide_TwoLiveDeploys_NewestWinsAndTheOtherIsRecorded()
    {
        var older = Record(id: "older", registeredAt: T0);
        var newer = Record(id: "newer", registeredAt: T0.AddMinutes(2));

        var decision = correlator.Decide(Alert(startsAt: T0.AddMinutes(3)), [older, newer], T0.AddMinutes(4));

        Assert.Equal("newer", decision.DeployId);
        Assert.Equal(["older"], decision.PassedOver);
        Assert.Contains("older", decision.Reason);
    }

    [Fact]
    public void Decide_DeployAlreadyRolledBack_StillMatchesSoResendsReportIt()
    {
        var rolledBack = Record(state: DeployState.RolledBack) with { RollbackId = Identifiers.RollbackIdFor("checkout-142") };

        Assert.Equal(rolledBack.DeployId, correlator.Decide(Alert(), [rolledBack], T0.AddMinutes(5)).DeployId);
    }

    [Fact]
    public void Decide_StableDeploy_DoesNotMatch() =>
        Assert.Null(correlator.Decide(Alert(), [Record(state: DeployState.Stable)], T0.AddMinutes(5)).DeployId);

    [Fact]
    public void Decide_NoServiceLabel_IsUnmatchedNamingTheLabelsTried()
    {
        var decision = correlator.Decide(Alert(("service", "")), [Record()], T0.AddMinutes(5));

        Assert.Null(decision.DeployId);
        Assert.Contains("app_kubernetes_io_name", decision.Reason);
    }

    [Fact]
    public void KeysOf_ConfiguredLabelNames_AreTriedInOrder()
    {
        var custom = new Correlator(new CorrelationOptions { ServiceLabels = ["job"], EnvironmentLabels = ["stage"] });
        var alert = Alert(("job", "checkout"), ("stage", "prod"));

        Assert.Equal(("checkout", "prod"), custom.KeysOf(alert));
        Assert.Equal(("checkout", "prod"), correlator.KeysOf(Alert(("service", ""), ("app", "checkout"))));
    }

    private static AlertSignal Alert(params (string Name, string Value)[] labels) => Alert(T0.AddMinutes(1), labels);

    private static AlertSignal Alert(DateTimeOffset startsAt, params (string Name, string Value)[] labels)
    {
        var all = new Dictionary<string, string> { ["service"] = "checkout", ["environment"] = "prod" };
        foreach (var (name, value) in labels)
        {
            all[name] = value;
        }

        return new AlertSignal(AlertSource.Alertmanager, "k", "HighErrorRate", AlertStatus.Firing, all, new Dictionary<string, string>(), startsAt, null);
    }
}
