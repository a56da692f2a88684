using System.Globalization;
using System.Text.RegularExpressions;

namespace RollbackFunctions.Core.Deploys;

/// <summary>
/// The optional <c>commitTime</c> of a registration, where lead time starts: an RFC 3339 date-time
/// with its offset (<c>2026-12-02T09:58:00Z</c>), not later than the registration beyond the allowed
/// clock skew (a commit from the future is a wrong clock, and would make lead time negative).
/// </summary>
public static partial class CommitTimes
{
    /// <summary>What is wrong with <paramref name="value"/>, or null when it is absent or fine.</summary>
    public static string? Problem(string? value, DateTimeOffset now, TimeSpan clockSkew)
    {
        if (value is null)
        {
            return null;
        }

        if (Parse(value) is not { } commit)
        {
            return "must be an RFC 3339 date-time with an offset, e.g. 2026-12-02T09:58:00Z";
        }

        return commit > now + clockSkew ? $"is {commit - now:g} in the future (clock skew allowed: {clockSkew:g})" : null;
    }

    /// <summary>The instant, or null when absent or not RFC 3339.</summary>
    public static DateTimeOffset? Parse(string? value) =>
        value is { Length: <= 40 } && Rfc3339().IsMatch(value)
        && DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed)
            ? parsed
            : null;

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,7})?([Zz]|[+-]\d{2}:\d{2})$")]
    private static partial Regex Rfc3339();
}
