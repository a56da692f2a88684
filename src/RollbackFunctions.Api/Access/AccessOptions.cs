using RollbackFunctions.Core.Policy;

namespace RollbackFunctions.Api.Access;

/// <summary>
/// <c>Rollback:Auth</c>: the named API keys. <c>Rollback:Auth:Keys:&lt;name&gt;:Secret</c> and
/// <c>Rollback:Auth:Keys:&lt;name&gt;:Roles</c> (a list of <c>ci</c>, <c>alerts</c>, <c>operator</c>,
/// <c>reader</c>), and optionally <c>:Services</c> and <c>:Environments</c> (lists; empty means all)
/// that scope it. In Azure the secrets are Key Vault references in app settings.
/// </summary>
public sealed class AccessOptions
{
    /// <summary>Shortest secret accepted: 128 bits as hex, so a guessable word never becomes a key.</summary>
    public const int MinimumSecretLength = 32;

    public Dictionary<string, ApiKeyOptions> Keys { get; init; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Set by hosts reachable from elsewhere (the Functions app): without keys every request but
    /// health is refused, rather than the API being open.
    /// </summary>
    public bool RequireKeys { get; set; }

    /// <summary>Why these options cannot be used, or nothing when they can; a key's environments must be declared ones.</summary>
    public IEnumerable<string> Problems(PolicyOptions? policy = null)
    {
        foreach (var (name, key) in Keys)
        {
            // A key scoped to a misspelt environment would never match anything, silently.
            foreach (var environment in key.Scope.Environments.Where(e => policy?.DeclaresEnvironments == true && policy.DeclaredEnvironment(e) is null))
            {
                yield return $"Rollback:Auth:Keys:{name}:Environments: '{environment}' is not declared in Rollback:Policy:Environments";
            }

            // A Key Vault reference App Service could not resolve is refused at start for every setting (UnresolvedSettings).
            if (string.IsNullOrWhiteSpace(key.Secret) || key.Secret.Length < MinimumSecretLength)
            {
                yield return $"Rollback:Auth:Keys:{name}:Secret must be at least {MinimumSecretLength} characters";
            }

            if (!key.RoleNames.Any())
            {
                yield return $"Rollback:Auth:Keys:{name}:Roles must name at least one of ci, alerts, operator, reader";
            }

            foreach (var role in key.RoleNames.Where(r => !Enum.TryParse<ApiRole>(r, ignoreCase: true, out _)))
            {
                yield return $"Rollback:Auth:Keys:{name}:Roles: '{role}' is not one of ci, alerts, operator, reader";
            }
        }

        var shared = Keys.Where(k => !string.IsNullOrEmpty(k.Value.Secret)).GroupBy(k => k.Value.Secret, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (shared is not null)
        {
            yield return $"Rollback:Auth:Keys: {string.Join(" and ", shared.Select(k => k.Key))} share a secret; the audit trail could not tell them apart";
        }
    }
}

/// <summary>One named key.</summary>
public sealed class ApiKeyOptions
{
    public string Secret { get; set; } = "";

    public List<string> Roles { get; init; } = [];

    /// <summary>The services this key may act on (registration, reports, operator actions, alerts, reads); empty: all.</summary>
    public List<string> Services { get; init; } = [];

    /// <summary>The environments this key may act on; empty: all.</summary>
    public List<string> Environments { get; init; } = [];

    /// <summary>The roles, also when one setting lists several as <c>ci,reader</c> (easier in an app setting).</summary>
    public IEnumerable<string> RoleNames => Split(Roles);

    /// <summary>The scope, also when one setting lists several as <c>checkout,cart</c>.</summary>
    public KeyScope Scope => KeyScope.Of(Split(Services), Split(Environments));

    private static IEnumerable<string> Split(List<string> values) => RollbackFunctions.Infrastructure.Configuration.SettingList.Split(values);
}
