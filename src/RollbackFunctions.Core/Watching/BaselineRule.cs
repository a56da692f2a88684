using System.Globalization;
using RollbackFunctions.Core.Verification;

namespace RollbackFunctions.Core.Watching;

/// <summary>
/// A check already unhealthy before the deploy (in its baseline) is not evidence against the deploy
/// (SAFETY.md 6): a hotfix registered while the service fails must not be rolled back for the
/// failure it came to fix. Only getting worse than the baseline by the check's
/// <c>baselineTolerance</c> (a ratio, default <see cref="DefaultTolerance"/>) counts. Pure code.
/// </summary>
public static class BaselineRule
{
    public const double DefaultTolerance = 1.5;

    /// <summary>
    /// Why <paramref name="current"/> is explained by <paramref name="baseline"/>, or null when it is
    /// not: the baseline was unhealthy the same way, and the value is not worse by the tolerance.
    /// </summary>
    public static string? AlreadyFailing(ConditionCheck check, CheckResult? baseline, CheckResult current)
    {
        if (baseline is not { Verdict: Verdict.Unhealthy, Value: { } before } || current is not { Verdict: Verdict.Unhealthy, Value: { } now })
        {
            return null;
        }

        var tolerance = check.BaselineTolerance ?? DefaultTolerance;
        var higherIsWorse = check.UnhealthyAbove is { } above && before > above;
        var worse = higherIsWorse ? now > before * tolerance : now < before / tolerance;
        return worse ? null : $"already failing before this deploy: {Format(before)} in the baseline, {Format(now)} now (not {Format(tolerance)}x worse)";
    }

    private static string Format(double value) => value.ToString("G6", CultureInfo.InvariantCulture);
}
