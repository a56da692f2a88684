using RollbackFunctions.Core.Planning;

namespace RollbackFunctions.Core.Tests.Planning;

public sealed class StepGraphTests
{
    [Fact]
    public void FindCycle_Acyclic_ReturnsNull() =>
        Assert.Null(Graph(("a", []), ("b", ["a"]), ("c", ["a", "b"])).FindCycle());

    [Fact]
    public void FindCycle_ThreeStepCycle_NamesItAsAClosedPath()
    {
        var cycle = Graph(("a", ["c"]), ("b", ["a"]), ("c", ["b"]), ("d", [])).FindCycle();

        Assert.NotNull(cycle);
        Assert.Equal(4, cycle.Count);
        Assert.Equal(cycle[0], cycle[^1]);
        Assert.Equal(["a", "b", "c"], cycle.Take(3).Order());
    }

    [Fact]
    public void AllDependenciesOf_FollowsTheChain() =>
        Assert.Equal(["a", "b"], Graph(("a", []), ("b", ["a"]), ("c", ["b"])).AllDependenciesOf("c").Order());

    private static StepGraph Graph(params (string Id, string[] DependsOn)[] steps) =>
        new(steps.ToDictionary(s => s.Id, s => (IReadOnlyList<string>)s.DependsOn));
}
