namespace RollbackFunctions.Core.Verification;

/// <summary>
/// Which checks decide that a rollback restored health (SAFETY.md 5): the service's own signals.
/// A dry-run check never decides anything; a divergence check compares a canary that the rollback
/// removed, so it has no data afterwards and would hold verification until it times out.
/// </summary>
public static class VerificationScope
{
    /// <summary>The checks verification samples.</summary>
    public static IReadOnlyList<ConditionCheck> Deciding(RollbackConditions? conditions) =>
        (conditions?.Checks ?? []).Where(c => Ignored(c) is null).ToList();

    /// <summary>"canary (divergence), latency (dry run)": the checks verification leaves out, and why; empty when none.</summary>
    public static string IgnoredSummary(RollbackConditions? conditions) =>
        string.Join(", ", (conditions?.Checks ?? []).Select(c => (c.Name, Why: Ignored(c))).Where(c => c.Why is not null).Select(c => $"{c.Name} ({c.Why})"));

    private static string? Ignored(ConditionCheck check) =>
        check.DryRun ? "dry run" : check.Divergence is not null ? "divergence" : null;
}
