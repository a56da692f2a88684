namespace RollbackFunctions.Infrastructure.Configuration;

/// <summary>
/// App Service hands a Key Vault reference it could not resolve (no access, no such secret) to the
/// app as the literal text <c>@Microsoft.KeyVault(...)</c>. That text is predictable from the vault
/// and secret names, so taken as an API or audit key it would let anyone in: such a value is refused
/// at start, naming the setting.
/// </summary>
public static class KeyVaultReference
{
    public static bool IsUnresolved(string? value) =>
        value is not null && value.TrimStart().StartsWith("@Microsoft.KeyVault(", StringComparison.OrdinalIgnoreCase);

    public static string Problem(string setting) =>
        $"{setting} is a Key Vault reference App Service could not resolve: grant the app's identity Key Vault Secrets User on the vault and check the secret exists";
}
