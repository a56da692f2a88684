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
        var matched = correlator.Decide(Alert(T0.AddDays(2.1)), live, T0.AddDays(2.1));

        Assert.Null(unmatched.DeployId);
        Assert.True(unmatched.Reason.Length < 1000, $"{unmatched.Reason.Length} characters");
        Assert.Contains("checkout-04999", unmatched.Reason); // the newest come first
        Assert.Contains("and 4995 more", unmatched.Reason);
        Assert.Equal("live-02999", matched.DeployId); // the 2,999 older ones are superseded by it
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
    public void Decide_TwoLiveDeploys_NewestWinsAndTheOlderIsSuperseded()
    {
        var older = Record(id: "older", registeredAt: T0);
        var newer = Record(id: "newer", registeredAt: T0.AddMinutes(2));

        var decision = correlator.Decide(Alert(startsAt: T0.AddMinutes(3)), [older, newer], T0.AddMinutes(4));

        Assert.Equal("newer", decision.DeployId);
        Assert.Empty(decision.PassedOver);
    }

    /// <summary>Issue 9, finding 2: an abandoned active deploy was matched days later and reverted over the healthy newer version.</summary>
    [Fact]
    public void Decide_AbandonedActiveDeploy_SupersededByANewerStableOne_DoesNotMatch()
    {
        var abandoned = Record(id: "abandoned", registeredAt: T0);
        var stable = Record(id: "stable", state: DeployState.Baking, registeredAt: T0.AddHours(1)) with { CompletedAt = T0.AddHours(1) };

        var decision = correlator.Decide(Alert(startsAt: T0.AddHours(3)), [abandoned, stable], T0.AddHours(3));

        Assert.Null(decision.DeployId);
        Assert.Contains("abandoned: superseded by stable", decision.Reason);
    }

    /// <summary>Issue 9, finding 2: an active deploy nobody reported on for longer than the limit is abandoned.</summary>
    [Fact]
    public void Decide_ActiveDeploySilentLongerThanTheLimit_DoesNotMatch()
    {
        var limited = new Correlator(new CorrelationOptions { ActiveDeployTimeout = TimeSpan.FromHours(12) });
        var silent = Record(steps: [DeployBuilder.Step("a") with { UpdatedAt = T0.AddHours(2) }]);

        var recent = limited.Decide(Alert(startsAt: T0.AddHours(13)), [silent], T0.AddHours(13));
        var late = limited.Decide(Alert(startsAt: T0.AddHours(15)), [silent], T0.AddHours(15));

        Assert.Equal(silent.DeployId, recent.DeployId); // the step report at +2 h counts as activity
        Assert.Null(late.DeployId);
        Assert.Contains("silent since", late.Reason);
    }

    /// <summary>Issue 9, finding 10: a rolled-back newer deploy hid the older live one, whose regression was never rolled back.</summary>
    [Fact]
    public void Decide_NewerDeployRolledBack_TheOlderLiveDeployTakesANewEpisode()
    {
        var older = Record(id: "older", state: DeployState.Baking, registeredAt: T0) with { CompletedAt = T0.AddMinutes(1), WatchMinutes = 600 };
        var newer = Record(id: "newer", state: DeployState.RolledBack, registeredAt: T0.AddMinutes(10)) with { RollbackId = Identifiers.RollbackIdFor("newer") };

        var decision = correlator.Decide(Alert(startsAt: T0.AddMinutes(40)), [older, newer], T0.AddMinutes(41));

        Assert.Equal("older", decision.DeployId);
        Assert.Equal(["newer"], decision.PassedOver);
    }

    [Fact]
    public void Decide_EpisodeAlreadyMatched_StaysWithItsDeploy()
    {
        var older = Record(id: "older", state: DeployState.Baking, registeredAt: T0) with { CompletedAt = T0.AddMinutes(1), WatchMinutes = 600 };
        var newer = Record(id: "newer", state: DeployState.RolledBack, registeredAt: T0.AddMinutes(10)) with { RollbackId = Identifiers.RollbackIdFor("newer") };
        var resent = Alert(startsAt: T0.AddMinutes(12)) with { EpisodeDeployId = "newer" };

        var decision = correlator.Decide(resent, [older, newer], T0.AddMinutes(41));

        Assert.Equal("newer", decision.DeployId);
        Assert.Contains("already belongs", decision.Reason);
    }

    [Fact]
    public void Decide_NewerDeployRollingBack_TakesTheAlertAndTheOlderStaysSuperseded()
    {
        var older = Record(id: "older", state: DeployState.Baking, registeredAt: T0) with { CompletedAt = T0.AddMinutes(1), WatchMinutes = 600 };
        var halted = Record(id: "halted", state: DeployState.Halted, registeredAt: T0.AddMinutes(10)) with { RollbackId = Identifiers.RollbackIdFor("halted") };

        Assert.Equal("halted", correlator.Decide(Alert(startsAt: T0.AddMinutes(20)), [older, halted], T0.AddMinutes(21)).DeployId);
    }

    [Fact]
    public void Decide_DeployAlreadyRolledBack_StillMatchesSoResendsReportIt()
    {
        var rolledBack = Record(state: DeployState.RolledBack) with { RollbackId = Identifiers.RollbackIdFor("checkout-142") };

        Assert.Equal(rolledBack.DeployId, correlator.Decide(Alert(), [rolledBack], T0.AddMinutes(5)).DeployId);
    }

    /// <summary>Issue 16, defect 2: a newer deploy registered but not applied took the alert from the baking deploy that caused it.</summary>
    [Fact]
    public void Decide_NewerDeployAppliedNothing_TheBakingDeployKeepsTheAlert()
    {
        var baking = Record(id: "baking", state: DeployState.Baking, registeredAt: T0) with { CompletedAt = T0.AddMinutes(1), WatchMinutes = 600 };
        var hotfix = Record(id: "hotfix", registeredAt: T0.AddMinutes(10), steps: Diamond(StepStatus.Pending));

        var decision = correlator.Decide(Alert(startsAt: T0.AddMinutes(20)), [baking, hotfix], T0.AddMinutes(21));

        Assert.Equal("baking", decision.DeployId);
        Assert.False(Correlator.SupersedesOlder(hotfix));
    }

    /// <summary>Issue 16, defect 2: a deploy that applied nothing has nothing to revert, so no alert is its fault.</summary>
    [Fact]
    public void Decide_OnlyDeployAppliedNothing_IsUnmatchedSayingSo()
    {
        var decision = correlator.Decide(Alert(startsAt: T0.AddMinutes(2)), [Record(steps: Diamond(StepStatus.Pending))], T0.AddMinutes(3));

        Assert.Null(decision.DeployId);
        Assert.Contains("nothing applied yet", decision.Reason);
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
