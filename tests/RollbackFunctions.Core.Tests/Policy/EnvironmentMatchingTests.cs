using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Planning;
using RollbackFunctions.Core.Policy;
using static RollbackFunctions.Testing.DeployBuilder;

namespace RollbackFunctions.Core.Tests.Policy;

/// <summary>
/// One rule for environment names: matched ignoring case, stored as declared. A deploy spelled
/// <c>PROD</c> is prod's deploy, under prod's policy, in the plan and the gate as in the rollback.
/// </summary>
public sealed class EnvironmentMatchingTests
{
    private static readonly PolicyOptions Policy = new()
    {
        Environments = { ["prod"] = new EnvironmentPolicy { RequireApproval = ["webhook"], RequireReadiness = RequiredReadiness.Rehearsed } },
    };

    [Fact]
    public void For_OtherCasing_IsTheDeclaredEnvironmentsPolicy()
    {
        Assert.Equal(RequiredReadiness.Rehearsed, Policy.For("PROD").RequireReadiness);
        Assert.Equal("prod", Policy.DeclaredEnvironment("PROD"));
        Assert.Null(Policy.DeclaredEnvironment("production"));
    }

    [Fact]
    public void Plan_OtherCasing_UsesTheDeclaredEnvironmentsPolicy()
    {
        var deploy = Record(steps: [Step("rollout", StepStatus.Pending)]) with { Environment = "PROD" };

        var plan = RollbackPlanner.Plan(deploy, PlanRules.For(Policy, deploy, _ => null), _ => null, new Dictionary<string, double>());

        Assert.Equal(PlannedRevert.Approval, plan.Levels.Single().Single().Revert);
    }
}
