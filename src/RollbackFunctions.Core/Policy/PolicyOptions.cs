namespace RollbackFunctions.Core.Policy;

/// <summary>
/// <c>Rollback:Policy</c>: the guardrails every automatic action passes, in one place, shown by
/// <c>GET /api/policy</c>. Operators' explicit requests pass the limits (they are the decision the
/// limits ask for) but not the approvals an environment demands.
/// </summary>
public sealed class PolicyOptions
{
    /// <summary>Automatic rollbacks of one service in one environment allowed per <see cref="AutomaticRollbackWindow"/>; past it on-call is paged instead.</summary>
    public int MaxAutomaticRollbacks { get; set; } = 3;

    public TimeSpan AutomaticRollbackWindow { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// More services than this firing in one environment within <see cref="MassAlertWindow"/> looks
    /// like the platform, not a deploy: automatic rollbacks then wait for an operator at every step.
    /// </summary>
    public int MassAlertServices { get; set; } = 5;

    public TimeSpan MassAlertWindow { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How far an alert source's clock may run behind ours: an alert that starts up to this long
    /// before a deploy's registration still matches it (an alert starting earlier predates the deploy).
    /// </summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How long a version (and the artifact digests it introduced) stays quarantined after a rollback
    /// reverted any of it: registering it again for that service and environment is refused until
    /// then or an operator's release. Zero turns quarantine off.
    /// </summary>
    public TimeSpan QuarantineFor { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How recent a rehearsal must be for an environment requiring <c>rehearsed</c> readiness.</summary>
    public TimeSpan RehearsalMaxAge { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// Per environment, ignoring case: deploys and alerts carry the declared spelling
    /// (<see cref="DeclaredEnvironment"/>), and the lookup ignores case as well so that no deploy
    /// escapes its environment's policy by spelling (<c>PROD</c> gets prod's policy even when none
    /// are declared). Environments not listed get <see cref="EnvironmentPolicy"/>'s defaults.
    /// </summary>
    public Dictionary<string, EnvironmentPolicy> Environments { get; init; } = new(StringComparer.OrdinalIgnoreCase);

    public EnvironmentPolicy For(string environment) => Environments.GetValueOrDefault(environment) ?? EnvironmentPolicy.Default;

    /// <summary>
    /// Whether environments are declared: once any is configured, only those exist, so a deploy or an
    /// alert cannot escape an environment's policy by spelling it another way (<c>production</c> for <c>prod</c>).
    /// </summary>
    public bool DeclaresEnvironments => Environments.Count > 0;

    /// <summary>
    /// The declared spelling of <paramref name="environment"/>, matched ignoring case as policy, key
    /// scopes and targets match it (<c>PROD</c> is <c>prod</c>); <paramref name="environment"/> itself
    /// when none are declared; null when it is not declared. Deploys and alerts carry the declared
    /// spelling from here on, so one environment is never stored under two names (which would split
    /// rate limits and correlation), and nothing escapes its policy by spelling (<c>production</c>).
    /// </summary>
    public string? DeclaredEnvironment(string? environment) =>
        environment is null || !DeclaresEnvironments ? environment
        : Environments.Keys.FirstOrDefault(declared => string.Equals(declared, environment, StringComparison.OrdinalIgnoreCase));

    /// <summary>Why these options cannot be used, or nothing when they can.</summary>
    public IEnumerable<string> Problems()
    {
        if (MaxAutomaticRollbacks < 0)
        {
            yield return "Rollback:Policy:MaxAutomaticRollbacks must be 0 or more (0: never roll back automatically)";
        }

        if (AutomaticRollbackWindow <= TimeSpan.Zero || MassAlertWindow <= TimeSpan.Zero)
        {
            yield return "Rollback:Policy: AutomaticRollbackWindow and MassAlertWindow must be positive";
        }

        if (MassAlertWindow > TimeSpan.FromHours(1))
        {
            yield return "Rollback:Policy:MassAlertWindow may be at most 1 hour (it is counted minute by minute)";
        }

        if (MassAlertServices < 1)
        {
            yield return "Rollback:Policy:MassAlertServices must be at least 1";
        }

        if (QuarantineFor < TimeSpan.Zero || QuarantineFor > TimeSpan.FromDays(365))
        {
            yield return "Rollback:Policy:QuarantineFor must be between 0 (off) and 365 days";
        }

        if (ClockSkew < TimeSpan.Zero || ClockSkew > TimeSpan.FromMinutes(15))
        {
            yield return "Rollback:Policy:ClockSkew must be between 0 and 15 minutes";
        }
    }
}

/// <summary>What one environment allows.</summary>
public sealed class EnvironmentPolicy
{
    public static readonly EnvironmentPolicy Default = new();

    /// <summary>False: observe only. Matching alerts and breaches page "would roll back" and change nothing.</summary>
    public bool AutoRollback { get; set; } = true;

    /// <summary>Step kinds whose revert always waits for an operator here (e.g. <c>terraform</c> in <c>prod</c>), whoever started the rollback.</summary>
    public List<string> RequireApproval { get; init; } = [];

    /// <summary>What a deploy's rollback plan must show before its gate opens: none, plan or rehearsed.</summary>
    public Planning.RequiredReadiness RequireReadiness { get; set; } = Planning.RequiredReadiness.None;
}
