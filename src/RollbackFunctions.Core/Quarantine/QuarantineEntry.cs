namespace RollbackFunctions.Core.Quarantine;

/// <summary>What a quarantine blocks: a version of a service, or an artifact digest.</summary>
/// <param name="Kind"><see cref="Version"/> or <see cref="Digest"/>.</param>
/// <param name="Value">The version as registered, or <c>sha256:...</c>.</param>
public sealed record QuarantineSubject(string Kind, string Value)
{
    public const string Version = "version";
    public const string Digest = "digest";

    public override string ToString() => $"{Kind} {Value}";
}

/// <summary>
/// A version or artifact of a service in one environment that a rollback reverted: registering it
/// again, or passing the gate while carrying it, is refused until <see cref="Until"/> or a release.
/// </summary>
public sealed record QuarantineEntry(
    string Service,
    string Environment,
    QuarantineSubject Subject,
    string RollbackId,
    string DeployId,
    DateTimeOffset QuarantinedAt,
    DateTimeOffset Until)
{
    /// <summary>Who released it early, and why; null while it holds.</summary>
    public QuarantineRelease? Released { get; init; }

    public bool IsActive(DateTimeOffset now) => Released is null && now < Until;
}

/// <summary>An operator's early release of a quarantine.</summary>
public sealed record QuarantineRelease(string Actor, string Reason, DateTimeOffset At);
