using System.Text.RegularExpressions;

namespace RollbackFunctions.Infrastructure.Configuration;

/// <summary>
/// App Service hands a Key Vault reference it could not resolve (no access, no such secret) to the
/// app as the literal text <c>@Microsoft.KeyVault(...)</c>. That text is predictable from the vault
/// and secret names, so taken as an API or audit key it would let anyone in, and as a channel it
/// would page nobody: the app refuses to start while any setting holds one, naming each setting and
/// the secret to set (<see cref="UnresolvedSettings"/>). In Azure this is also how a secret the
/// template was never given shows: its reference exists, the secret does not yet.
/// </summary>
public static partial class KeyVaultReference
{
    public static bool IsUnresolved(string? value) =>
        value is not null && value.TrimStart().StartsWith("@Microsoft.KeyVault(", StringComparison.OrdinalIgnoreCase);

    /// <summary>What to tell the operator about <paramref name="setting"/>, naming the vault and secret when the reference says them.</summary>
    public static string Problem(string setting, string? reference = null)
    {
        var target = reference is null ? null : Target(reference);
        var secret = target is { } t ? $" (secret '{t.Secret}' in vault '{t.Vault}')" : "";
        var fix = target is { } f ? $"az keyvault secret set --vault-name {f.Vault} -n {f.Secret} --value ..., then restart the app" : "grant the app's identity Key Vault Secrets User on the vault and check the secret exists";
        return $"{setting} is a Key Vault reference App Service could not resolve{secret}: the secret was never set, or the app's identity cannot read it. Fix: {fix}";
    }

    private static (string Vault, string Secret)? Target(string reference)
    {
        if (SecretUri().Match(reference) is { Success: true } uri)
        {
            return (uri.Groups["vault"].Value, uri.Groups["secret"].Value);
        }

        return VaultAndName().Match(reference) is { Success: true } named ? (named.Groups["vault"].Value, named.Groups["secret"].Value) : null;
    }

    [GeneratedRegex(@"SecretUri=https://(?<vault>[^./]+)\.[^/]+/secrets/(?<secret>[^/)]+)", RegexOptions.IgnoreCase)]
    private static partial Regex SecretUri();

    [GeneratedRegex(@"VaultName=(?<vault>[^;)]+);SecretName=(?<secret>[^;)]+)", RegexOptions.IgnoreCase)]
    private static partial Regex VaultAndName();
}

/// <summary>Every <c>Rollback:*</c> setting that still holds an unresolved Key Vault reference, read once at start.</summary>
public sealed class UnresolvedSettings
{
    public Dictionary<string, string> References { get; } = new(StringComparer.Ordinal);

    public IEnumerable<string> Problems() => References.OrderBy(r => r.Key, StringComparer.Ordinal).Select(r => KeyVaultReference.Problem(r.Key, r.Value));
}
