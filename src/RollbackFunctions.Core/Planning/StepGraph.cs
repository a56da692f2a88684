namespace RollbackFunctions.Core.Planning;

/// <summary>
/// The dependency graph of a deploy's steps. An edge <c>b dependsOn a</c> means a was applied
/// before b, so b must be reverted before a.
/// </summary>
public sealed class StepGraph
{
    private readonly IReadOnlyDictionary<string, IReadOnlyList<string>> dependsOn;
    private readonly Dictionary<string, List<string>> dependents;

    /// <summary>Builds the graph. Call <see cref="FindCycle"/> first when the input is untrusted.</summary>
    public StepGraph(IReadOnlyDictionary<string, IReadOnlyList<string>> dependsOn)
    {
        this.dependsOn = dependsOn;
        dependents = dependsOn.Keys.ToDictionary(id => id, _ => new List<string>());
        foreach (var (id, deps) in dependsOn)
        {
            foreach (var dep in deps.Where(dependents.ContainsKey))
            {
                dependents[dep].Add(id);
            }
        }
    }

    /// <summary>Step ids in a stable order.</summary>
    public IEnumerable<string> Steps => dependsOn.Keys.Order(StringComparer.Ordinal);

    /// <summary>Steps that depend on <paramref name="stepId"/> directly.</summary>
    public IReadOnlyList<string> DependentsOf(string stepId) => dependents[stepId];

    /// <summary>Steps <paramref name="stepId"/> depends on directly.</summary>
    public IReadOnlyList<string> DependenciesOf(string stepId) => dependsOn[stepId];

    /// <summary>Returns one cycle as a closed path (<c>a, b, a</c>), or null when the graph is acyclic.</summary>
    public IReadOnlyList<string>? FindCycle()
    {
        var state = new Dictionary<string, bool>(); // false: on the current path, true: done
        var path = new Stack<string>();
        foreach (var start in Steps)
        {
            var cycle = Visit(start);
            if (cycle is not null)
            {
                return cycle;
            }
        }

        return null;

        List<string>? Visit(string id)
        {
            if (state.TryGetValue(id, out var done))
            {
                return done ? null : ClosePath(id);
            }

            state[id] = false;
            path.Push(id);
            foreach (var dep in dependsOn[id].Where(dependsOn.ContainsKey))
            {
                var cycle = Visit(dep);
                if (cycle is not null)
                {
                    return cycle;
                }
            }

            path.Pop();
            state[id] = true;
            return null;
        }

        List<string> ClosePath(string repeated)
        {
            var onPath = path.Reverse().ToList();
            var cycle = onPath.Skip(onPath.IndexOf(repeated)).ToList();
            cycle.Add(repeated);
            return cycle;
        }
    }

    /// <summary>
    /// Reverse depth of every step: 0 for steps nothing depends on, otherwise one more than the
    /// deepest dependent. Steps of equal depth do not depend on each other and may revert in parallel.
    /// The graph must be acyclic.
    /// </summary>
    public IReadOnlyDictionary<string, int> ReverseDepths()
    {
        var depths = new Dictionary<string, int>();
        foreach (var id in Steps)
        {
            DepthOf(id);
        }

        return depths;

        int DepthOf(string id)
        {
            if (depths.TryGetValue(id, out var known))
            {
                return known;
            }

            var depth = dependents[id].Count == 0 ? 0 : dependents[id].Max(DepthOf) + 1;
            depths[id] = depth;
            return depth;
        }
    }

    /// <summary>Every step <paramref name="stepId"/> depends on, directly or through others.</summary>
    public IReadOnlySet<string> AllDependenciesOf(string stepId)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>(DependenciesOf(stepId));
        while (pending.TryPop(out var next))
        {
            if (dependsOn.ContainsKey(next) && seen.Add(next))
            {
                foreach (var dep in dependsOn[next])
                {
                    pending.Push(dep);
                }
            }
        }

        return seen;
    }

    /// <summary>Every step that depends on <paramref name="stepId"/>, directly or through others.</summary>
    public IReadOnlySet<string> AllDependentsOf(string stepId)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>(DependentsOf(stepId));
        while (pending.TryPop(out var next))
        {
            if (seen.Add(next))
            {
                foreach (var dependent in DependentsOf(next))
                {
                    pending.Push(dependent);
                }
            }
        }

        return seen;
    }
}
