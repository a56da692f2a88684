using System.Text.RegularExpressions;

namespace RollbackFunctions.Core.Deploys;

/// <summary>An artifact a deploy ships (an image, a package), by content digest: what quarantine blocks.</summary>
/// <param name="Name">What CI calls it (<c>api</c>).</param>
/// <param name="Digest"><c>sha256:</c> and 64 lowercase hex digits, as registries print it.</param>
public sealed partial record Artifact(string Name, string Digest)
{
    public static bool IsDigest(string? value) => value is not null && DigestPattern().IsMatch(value);

    [GeneratedRegex("^sha256:[0-9a-f]{64}$")]
    private static partial Regex DigestPattern();
}
