namespace RollbackFunctions.Api.Access;

/// <summary>
/// The services and environments a key may act on (SAFETY.md 9), from
/// <c>Rollback:Auth:Keys:&lt;name&gt;:Services</c> and <c>:Environments</c>; an empty list means all.
/// Services compare exactly (as registered), environments ignoring case (as policy looks them up).
/// </summary>
public sealed record KeyScope(IReadOnlySet<string> Services, IReadOnlySet<string> Environments)
{
    /// <summary>No limit: a key without lists, or a runtime without keys (loopback only).</summary>
    public static readonly KeyScope All = new(new HashSet<string>(), new HashSet<string>());

    public static KeyScope Of(IEnumerable<string> services, IEnumerable<string> environments) =>
        new(services.ToHashSet(StringComparer.Ordinal), environments.ToHashSet(StringComparer.OrdinalIgnoreCase));

    public bool IsAll => Services.Count == 0 && Environments.Count == 0;

    /// <summary>Whether the key may act on a deploy or alert of <paramref name="service"/> in <paramref name="environment"/>.</summary>
    public bool Permits(string? service, string? environment) =>
        (Services.Count == 0 || (service is not null && Services.Contains(service)))
        && (Environments.Count == 0 || (environment is not null && Environments.Contains(environment)));
}
