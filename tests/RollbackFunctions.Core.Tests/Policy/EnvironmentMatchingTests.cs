using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Planning;
using RollbackFunctions.Core.Policy;
using static RollbackFunctions.Testing.DeployBuilder;

namespace RollbackFunctions.Core.Tests.Policy;

/// <summary>
/// Found by review of issue 19: environments are matched exactly everywhere else (registration
/// refuses <c>PROD</c> for a declared <c>prod</c>; correlation, the deploy index and quarantine compare
/// ordinally), but the policy lookup behind the plan and the gate ignored case.
/// </summary>
public sealed class EnvironmentMatchingTests
{
    private static readonly PolicyOptions Policy = new()
    {
        Environments = { ["prod"] = new EnvironmentPolicy { RequireApproval = ["webhook"], RequireReadiness = RequiredReadiness.Rehearsed } },
    };

    [Fact]
    public void For_OtherCasing_IsNotTheDeclaredEnvironmentsPolicy()
    {
        Assert.Equal(RequiredReadiness.Rehearsed, Policy.For("prod").RequireReadiness);
        Assert.Same(EnvironmentPolicy.Default, Policy.For("PROD"));
        Assert.Null(Policy.DeclaredEnvironment("PROD"));
    }

    [Fact]
    public void Plan_UsesThePolicyOfTheEnvironmentAsWritten()
    {
        var deploy = Record(steps: [Step("rollout", StepStatus.Pending)]);

        var plan = RollbackPlanner.Plan(deploy, PlanRules.For(Policy, deploy, _ => null), _ => null, new Dictionary<string, double>());

        Assert.Equal(PlannedRevert.Approval, plan.Levels.Single().Single().Revert);
    }
}
