using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Planning;
using static RollbackFunctions.Testing.DeployBuilder;

namespace RollbackFunctions.Core.Tests.Planning;

public sealed class ReversePlannerTests
{
    [Fact]
    public void Plan_Diamond_RevertsTopFirstThenTheParallelPairThenTheBase()
    {
        var plan = ReversePlanner.Plan(Diamond());

        Assert.Equal([["rollout"], ["config", "flags"], ["schema"]], plan.Levels);
        Assert.Empty(plan.Skipped);
    }

    /// <summary>
    /// Was <c>Plan_StepsNeverApplied_AreSkipped</c>, which asserted the defect of issue 17 point 2: a
    /// pending step whose dependencies are applied may be the rollout CI started just before the halt;
    /// skipping it reverted the layers under new code still rolling out. It is planned, first, as in flight.
    /// </summary>
    [Fact]
    public void Plan_PendingStepWithItsDependenciesApplied_IsPlannedInFlightBeforeThem()
    {
        var steps = new[] { Step("schema"), Step("config", StepStatus.Applied, dependsOn: "schema"), Step("rollout", StepStatus.Pending, dependsOn: "config") };

        var plan = ReversePlanner.Plan(steps);

        Assert.Equal([["rollout"], ["config"], ["schema"]], plan.Levels);
        Assert.Equal(["rollout"], plan.InFlight);
        Assert.Empty(plan.Skipped);
    }

    [Fact]
    public void Plan_RunningStep_IsPlannedInFlight() =>
        Assert.Equal(["rollout"], ReversePlanner.Plan([Step("schema"), Step("rollout", StepStatus.Running, dependsOn: "schema")]).InFlight);

    [Fact]
    public void Plan_PendingStepWhoseDependencyIsNotApplied_IsSkipped()
    {
        var steps = new[] { Step("schema"), Step("config", StepStatus.Pending, dependsOn: "schema"), Step("rollout", StepStatus.Pending, dependsOn: "config") };

        var plan = ReversePlanner.Plan(steps);

        Assert.Equal([["config"], ["schema"]], plan.Levels);
        Assert.Equal(["rollout"], plan.Skipped);
    }

    [Fact]
    public void Plan_FailedStep_IsRevertedBecauseItMayHavePartlyApplied() =>
        Assert.Contains("rollout", ReversePlanner.Plan([Step("rollout", StepStatus.Failed)]).InOrder);

    [Fact]
    public void Plan_OrderThroughAnUnappliedStep_IsKept()
    {
        // a <- b(pending) <- c : c must still revert before a.
        var steps = new[] { Step("a"), Step("b", StepStatus.Pending, RevertMode.Auto, "a", "x"), Step("x", StepStatus.Pending), Step("c", dependsOn: "b") };

        var order = ReversePlanner.Plan(steps).InOrder.ToList();

        Assert.True(order.IndexOf("c") < order.IndexOf("a"));
    }

    [Fact]
    public void Plan_IndependentChains_ShareLevels()
    {
        var steps = new[] { Step("a1"), Step("a2", dependsOn: "a1"), Step("b1"), Step("b2", dependsOn: "b1") };

        Assert.Equal([["a2", "b2"], ["a1", "b1"]], ReversePlanner.Plan(steps).Levels);
    }

    [Fact]
    public void Plan_EveryOrder_RevertsDependentsBeforeTheirDependencies()
    {
        // A property over random acyclic graphs: edges only point to lower indexes.
        var random = new Random(20261127);
        for (var run = 0; run < 200; run++)
        {
            var count = random.Next(1, 12);
            var steps = Enumerable.Range(0, count).Select(i => Step(
                $"s{i}",
                random.Next(4) == 0 ? StepStatus.Pending : StepStatus.Applied,
                dependsOn: Enumerable.Range(0, i).Where(_ => random.Next(3) == 0).Select(j => $"s{j}").ToArray())).ToList();

            var plan = ReversePlanner.Plan(steps);
            var levelOf = plan.Levels.SelectMany((level, index) => level.Select(id => (id, index))).ToDictionary(x => x.id, x => x.index);
            foreach (var step in steps.Where(s => levelOf.ContainsKey(s.Id)))
            {
                foreach (var dependency in ReversePlanner.GraphOf(steps).AllDependenciesOf(step.Id).Where(levelOf.ContainsKey))
                {
                    Assert.True(levelOf[step.Id] < levelOf[dependency], $"{step.Id} must revert before {dependency}");
                }
            }

            Assert.Equal(steps.Count, plan.InOrder.Count() + plan.Skipped.Count);
        }
    }
}
