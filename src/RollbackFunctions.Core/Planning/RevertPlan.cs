namespace RollbackFunctions.Core.Planning;

/// <summary>
/// Steps to revert, grouped in levels: every step of a level may run in parallel, and a level
/// starts only when the one before it has finished.
/// </summary>
/// <param name="Levels">Step ids to revert, level by level.</param>
/// <param name="Skipped">Steps never applied: nothing to revert.</param>
public sealed record RevertPlan(IReadOnlyList<IReadOnlyList<string>> Levels, IReadOnlyList<string> Skipped)
{
    /// <summary>Planned steps that were in flight at the halt (maybe applied), among <see cref="Levels"/>.</summary>
    public IReadOnlySet<string> InFlight { get; init; } = new HashSet<string>();

    /// <summary>The steps in the order they will be started.</summary>
    public IEnumerable<string> InOrder => Levels.SelectMany(level => level);
}
