namespace RollbackFunctions.Api.Access;

/// <summary>Who made a request: the name of the key it carried and its scope, or nobody when keys are not in use.</summary>
public sealed record Caller(string? KeyName, KeyScope Scope)
{
    public Caller(string? keyName)
        : this(keyName, KeyScope.All)
    {
    }

    /// <summary>Longest display name kept beside the key's name.</summary>
    public const int MaxDisplayName = 100;

    /// <summary>Requests to a runtime without keys (local, loopback only).</summary>
    public static readonly Caller Unauthenticated = new((string?)null);

    /// <summary>Whether this caller may act on a deploy or alert of <paramref name="service"/> in <paramref name="environment"/>.</summary>
    public bool Permits(string? service, string? environment) => Scope.Permits(service, environment);

    /// <summary>
    /// The actor recorded in the audit trail: the key's name, with the display name an operator
    /// gave beside it (never instead of it); without keys, the display name or <paramref name="fallback"/>.
    /// </summary>
    public string ActorFor(string? displayName, string fallback)
    {
        var display = Clean(displayName);
        return KeyName is null ? display ?? fallback
            : display is null || display == KeyName ? KeyName
            : $"{KeyName} ({display})";
    }

    private static string? Clean(string? name)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            return null;
        }

        // Control characters would let a display name forge lines in logs and chat messages.
        var printable = new string(name.Trim().Where(c => !char.IsControl(c)).ToArray());
        return printable.Length == 0 ? null : printable.Length <= MaxDisplayName ? printable : printable[..MaxDisplayName];
    }
}
