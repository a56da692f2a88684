namespace RollbackFunctions.Core.Deploys;

/// <summary>What the dry run of one step's revert found.</summary>
public enum RehearsalOutcome
{
    /// <summary>The revert would go through as planned.</summary>
    Ok,

    /// <summary>It would go through, but only after an operator approves (a destructive effect).</summary>
    WouldNeedApproval,

    /// <summary>It would fail: the detail says why (a conflict, a missing revision, a refused patch).</summary>
    Fails,

    /// <summary>The kind (or this step) offers no dry run.</summary>
    NotRehearsable,
}

/// <summary>One step's rehearsal result.</summary>
public sealed record StepRehearsal(RehearsalOutcome Outcome, string Detail)
{
    public static StepRehearsal Ok(string detail) => new(RehearsalOutcome.Ok, detail);
    public static StepRehearsal WouldNeedApproval(string detail) => new(RehearsalOutcome.WouldNeedApproval, detail);
    public static StepRehearsal Fails(string detail) => new(RehearsalOutcome.Fails, detail);
    public static StepRehearsal NotRehearsable(string detail) => new(RehearsalOutcome.NotRehearsable, detail);

    /// <summary>Whether the gate's <c>rehearsed</c> readiness accepts it.</summary>
    public bool Passes => Outcome is RehearsalOutcome.Ok or RehearsalOutcome.WouldNeedApproval;
}

/// <summary>The last rehearsal of a deploy's rollback: when, and per step what its dry run found.</summary>
public sealed record Rehearsal(DateTimeOffset At, IReadOnlyDictionary<string, StepRehearsal> Steps);

/// <summary>An operator's waiver of the readiness the environment requires, for one deploy.</summary>
public sealed record ReadinessWaiver(string Actor, string Reason, DateTimeOffset At);
