namespace RollbackFunctions.Core.Executors;

/// <summary>What the three-state rule says a revert may do.</summary>
public enum RevertJudgement
{
    /// <summary>The target holds what this deploy made: restore the state from before it.</summary>
    Restore,

    /// <summary>The target already holds the state from before the deploy: nothing to do.</summary>
    Unchanged,

    /// <summary>The target holds something else (a hotfix, a newer deploy, a person): ask an operator.</summary>
    Drift,
}

/// <summary>
/// The one home of SAFETY.md 1, "revert only what this deploy changed, only while it still holds",
/// for every executor: <c>before</c> captured at registration, <c>after</c> captured when CI
/// reported the step applied, <c>current</c> read at revert. Executors only read states; this decides.
/// </summary>
public static class ThreeStates
{
    /// <summary>Judges a revert, with a short secret-free sentence on the three states.</summary>
    /// <param name="before">Read at registration; null for steps registered before states were kept.</param>
    /// <param name="after">Read when CI reported the step applied; null when never reported.</param>
    /// <param name="current">Read now.</param>
    /// <param name="maybeApplied">The step was in flight at the halt: what it made is unknown, so any change from before is taken as its own.</param>
    public static (RevertJudgement Judgement, string Why) Judge(TargetState? before, TargetState? after, TargetState current, bool maybeApplied)
    {
        if (before is null)
        {
            // Registered before the states were kept: nothing to compare with, the revert goes on as it did then.
            return (RevertJudgement.Restore, $"no state kept from before the deploy; now {current.Summary()}");
        }

        if (current.SameAs(before) && before.Partial && after?.SameAs(before) != false)
        {
            // A data-only migration leaves the schema as it was: the state read cannot tell.
            return after is null
                ? (RevertJudgement.Drift, $"drift: cannot tell whether this step changed its target: what it made was not recorded and the part that can be read ({before.Summary()}) is as before the deploy")
                : (RevertJudgement.Restore, $"made no change the rule can read ({before.Summary()}); its own revert decides");
        }

        if (current.SameAs(before))
        {
            return (RevertJudgement.Unchanged, $"already holds the state from before the deploy ({before.Summary()})");
        }

        if (after is not null && current.SameAs(after))
        {
            return (RevertJudgement.Restore, $"holds what this deploy made ({Changes(before, after)})");
        }

        if (after is null && maybeApplied)
        {
            return (RevertJudgement.Restore, $"was in flight at the halt and differs from before the deploy ({Changes(before, current)})");
        }

        return (RevertJudgement.Drift, Drift(before, after, current));
    }

    /// <summary>"drift: before …; this deploy made …; now …", naming hidden parts only.</summary>
    public static string Drift(TargetState before, TargetState? after, TargetState current) =>
        "drift: " + (after is null
            ? $"what this deploy applied was not recorded; before the deploy {before.Summary()}; now {current.Summary()} ({Changes(before, current)})"
            : $"before the deploy {before.Summary()}; this deploy made {after.Summary()}; now {current.Summary()} (changed since the deploy: {string.Join(", ", after.DifferingParts(current))})");

    private static string Changes(TargetState from, TargetState to) =>
        $"changed: {string.Join(", ", from.DifferingParts(to).DefaultIfEmpty("nothing"))}";
}
