using RollbackFunctions.Core.Policy;
using static RollbackFunctions.Testing.DeployBuilder;

namespace RollbackFunctions.Core.Tests.Policy;

public sealed class RollbackGuardTests
{
    private static readonly PolicyOptions Policy = new()
    {
        MaxAutomaticRollbacks = 3,
        MassAlertServices = 5,
        Environments = { ["prod"] = new EnvironmentPolicy { RequireApproval = ["terraform"] }, ["lab"] = new EnvironmentPolicy { AutoRollback = false } },
    };

    [Theory]
    [InlineData(0, 1, GuardVerdict.Proceed, "none")]
    [InlineData(2, 5, GuardVerdict.Proceed, "none")]
    [InlineData(3, 1, GuardVerdict.Refuse, "rateLimit")]
    [InlineData(0, 6, GuardVerdict.Hold, "massAlert")]
    [InlineData(3, 6, GuardVerdict.Refuse, "rateLimit")]
    public void Decide_Automatic_LimitsThenMassAlert(int recent, int firing, GuardVerdict verdict, string rule)
    {
        var decision = RollbackGuard.Decide(Policy, Record(), new GuardInputs(true, recent, firing));

        Assert.Equal((verdict, rule), (decision.Verdict, decision.Rule));
    }

    [Fact]
    public void Decide_ObserveOnlyEnvironment_RefusesEveryAutomaticRollback()
    {
        var decision = RollbackGuard.Decide(Policy, Record(environment: "lab"), new GuardInputs(true, 0, 1));

        Assert.Equal(GuardVerdict.Refuse, decision.Verdict);
        Assert.Contains("observe only", decision.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Decide_OperatorAsked_PassesTheLimitsItIsTheAnswerTo() =>
        Assert.Equal(GuardVerdict.Proceed, RollbackGuard.Decide(Policy, Record(environment: "lab"), new GuardInputs(false, 10, 100)).Verdict);

    [Fact]
    public void Approvals_KindsOfTheEnvironmentAndAHold_EachMakeAStepWait()
    {
        var terraform = Step("infra") with { Kind = "terraform" };
        var webhook = Step("hook");
        var proceed = new GuardDecision(GuardVerdict.Proceed, "none", "ok");
        var hold = new GuardDecision(GuardVerdict.Hold, "massAlert", "mass alert: 9 services");

        var prod = RollbackApprovals.For(Policy, Record(), proceed);
        var staging = RollbackApprovals.For(Policy, Record(environment: "staging"), proceed);
        var held = RollbackApprovals.For(Policy, Record(environment: "staging"), hold);

        Assert.Equal("policy: terraform steps in prod always need approval", prod.Why(terraform));
        Assert.Null(prod.Why(webhook));
        Assert.Null(staging.Why(terraform));
        Assert.Equal("held by policy: mass alert: 9 services", held.Why(webhook));
    }

    [Fact]
    public void Options_Unusable_AreNamed()
    {
        var problems = new PolicyOptions { MaxAutomaticRollbacks = -1, MassAlertWindow = TimeSpan.FromHours(2), ClockSkew = TimeSpan.FromHours(1) }.Problems().ToList();

        Assert.Equal(3, problems.Count);
        Assert.Empty(new PolicyOptions().Problems());
    }
}
