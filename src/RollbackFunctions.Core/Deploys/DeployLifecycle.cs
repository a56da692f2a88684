namespace RollbackFunctions.Core.Deploys;

/// <summary>
/// When a deploy may be judged and acted on automatically (SAFETY.md 6): the one home of the rules
/// the watcher, alert correlation and <c>RollbackStarter</c> share. A deploy is judged only once it
/// applied something; it stops being judged when a newer deploy that applied something supersedes
/// it, when CI went silent past the active-deploy timeout (abandoned), or when it is no longer live
/// (stable, halted, rolled back).
/// </summary>
public static class DeployLifecycle
{
    /// <summary>
    /// CI reported a step running, applied or failed (half applied), or completed the deploy. Until
    /// then the deploy changed nothing, so nothing that goes wrong can be its fault, and a rollback
    /// would find nothing to revert.
    /// </summary>
    public static bool HasApplied(this DeployRecord deploy) =>
        deploy.CompletedAt is not null || deploy.Steps.Any(s => s.Status is not (StepStatus.Pending or StepStatus.Skipped));

    /// <summary>
    /// Whether <paramref name="deploy"/> supersedes every older deploy of its service and
    /// environment: one that applied something and was not rolled back. A deploy registered but not
    /// applied yet (a hotfix waiting in its pipeline) leaves the service to the deploy running there.
    /// </summary>
    public static bool SupersedesOlder(DeployRecord deploy) => deploy.State != DeployState.RolledBack && deploy.HasApplied();

    /// <summary>The newest deploy of <paramref name="ofService"/> registered after <paramref name="deploy"/> that supersedes it, or null.</summary>
    public static DeployRecord? SupersededBy(DeployRecord deploy, IEnumerable<DeployRecord> ofService) =>
        ofService
            .Where(d => d.DeployId != deploy.DeployId && d.RegisteredAt > deploy.RegisteredAt && SupersedesOlder(d))
            .OrderByDescending(d => d.RegisteredAt)
            .FirstOrDefault();

    /// <summary>Active (CI never reported completion), no rollback, and silent for longer than <paramref name="activeDeployTimeout"/>: a pipeline that died.</summary>
    public static bool IsAbandoned(DeployRecord deploy, DateTimeOffset now, TimeSpan activeDeployTimeout) =>
        deploy.StateAt(now) == DeployState.Active && deploy.RollbackId is null && now - deploy.LastActivityAt > activeDeployTimeout;

    /// <summary>
    /// Why automation must not start a rollback of <paramref name="deploy"/>, or null when it may:
    /// the watcher ends with this reason, and <c>RollbackStarter</c> refuses automatic triggers with it.
    /// </summary>
    public static DeployEnding? WhyNotActedOn(DeployRecord deploy, IEnumerable<DeployRecord> ofService, DateTimeOffset now, TimeSpan activeDeployTimeout)
    {
        var state = deploy.StateAt(now);
        if (!state.IsLive())
        {
            return new(EndingOf(state), $"deploy is {state}");
        }

        if (SupersededBy(deploy, ofService) is { } newer)
        {
            return new(DeployEnding.Superseded, $"superseded by {newer.DeployId} ({newer.Version}), which applied since");
        }

        return IsAbandoned(deploy, now, activeDeployTimeout)
            ? new(DeployEnding.Abandoned, $"active but silent since {deploy.LastActivityAt:O} (longer than {activeDeployTimeout}): treated as abandoned")
            : null;
    }

    private static string EndingOf(DeployState state) => state switch
    {
        DeployState.Stable => DeployEnding.Stable,
        DeployState.Halted => DeployEnding.Halted,
        DeployState.RolledBack => DeployEnding.RolledBack,
        _ => DeployEnding.RollbackFailed,
    };
}

/// <summary>Why a deploy is no longer judged: a reason code (<see cref="Reason"/>) and a sentence.</summary>
public sealed record DeployEnding(string Reason, string Detail)
{
    public const string Superseded = "superseded";
    public const string Abandoned = "abandoned";
    public const string Stable = "stable";
    public const string Halted = "halted";
    public const string RolledBack = "rolledBack";
    public const string RollbackFailed = "rollbackFailed";
    public const string Deleted = "deleted";
    public const string NoChecks = "noChecks";
}
