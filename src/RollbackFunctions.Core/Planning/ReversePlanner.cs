using RollbackFunctions.Core.Deploys;

namespace RollbackFunctions.Core.Planning;

/// <summary>Turns a deploy into the order in which its applied steps are reverted. Pure code.</summary>
public static class ReversePlanner
{
    /// <summary>
    /// Plans the revert of every step that needs it, in reverse dependency order. A step in flight
    /// at the halt (running, or pending with everything it depends on applied) is planned too: it may
    /// have changed its target, and reverting what it depends on under it is the "old schema under
    /// new code" incident (SAFETY.md 2).
    /// </summary>
    public static RevertPlan Plan(IReadOnlyList<DeployStep> steps)
    {
        var graph = GraphOf(steps);
        var depths = graph.ReverseDepths();
        var byId = steps.ToDictionary(s => s.Id);
        var inFlight = steps.Where(s => s.MaybeInFlight(byId)).Select(s => s.Id).ToHashSet();
        var toRevert = steps.Where(s => s.Status.NeedsRevert()).Select(s => s.Id).Concat(inFlight).ToHashSet();

        // Depths come from the whole graph, so an order through a never-applied step still holds.
        var levels = toRevert
            .GroupBy(id => depths[id])
            .OrderBy(group => group.Key)
            .Select(group => (IReadOnlyList<string>)group.Order(StringComparer.Ordinal).ToList())
            .ToList();
        var skipped = steps.Where(s => !toRevert.Contains(s.Id)).Select(s => s.Id).ToList();
        return new RevertPlan(levels, skipped) { InFlight = inFlight };
    }

    /// <summary>The step graph of a deploy.</summary>
    public static StepGraph GraphOf(IReadOnlyList<DeployStep> steps) =>
        new(steps.ToDictionary(s => s.Id, s => s.DependsOn));
}
