using System.Text.RegularExpressions;

namespace RollbackFunctions.Core.Deploys;

/// <summary>
/// Shape of ids that become Table storage keys and URL segments. Table keys forbid
/// <c>/ \ # ?</c> and control characters; the rule below is stricter so ids also read well in URLs.
/// </summary>
public static partial class Identifiers
{
    /// <summary>Maximum length of a deploy or step id.</summary>
    public const int MaxLength = 100;

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]*$")]
    private static partial Regex Shape();

    /// <summary>What a valid id looks like, for error messages.</summary>
    public static string Problem { get; } = $"must be 1-{MaxLength} characters of letters, digits, '.', '_' or '-', starting with a letter or digit";

    /// <summary>Whether <paramref name="id"/> may be used as a deploy or step id.</summary>
    public static bool IsValid(string? id) => id is { Length: > 0 and <= MaxLength } && Shape().IsMatch(id);

    /// <summary>The one automatic rollback of a deploy has an id derived from it, so claims collide.</summary>
    public static string RollbackIdFor(string deployId) => $"rb-{deployId}";

    /// <summary>
    /// Whether <paramref name="id"/> may be a rollback id: <c>rb-</c>, a valid deploy id, and for a
    /// forced rollback <c>-n</c>. Longer than a deploy id, so the longest deploy ids keep reachable rollbacks.
    /// </summary>
    public static bool IsValidRollbackId(string? id) =>
        id is { Length: > 3 } && id.StartsWith("rb-", StringComparison.Ordinal) && id.Length <= MaxLength + "rb--99".Length && Shape().IsMatch(id[3..]);
}
