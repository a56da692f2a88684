using RollbackFunctions.Core.Deploys;

namespace RollbackFunctions.Core.Quarantine;

/// <summary>
/// The one home of the quarantine rule: after a rollback reverted anything, the deploy's version
/// and the artifact digests it introduced are not deployed again to that service and environment
/// for a while (a retried pipeline or a GitOps auto-sync would bring the bad change straight back).
/// Matching is exact, so a newer version is never blocked by an older one's quarantine; a digest the
/// deploy before it already carried (an unchanged sidecar) was not this deploy's change and is not
/// quarantined.
/// </summary>
public static class QuarantineRule
{
    /// <summary>What quarantining <paramref name="deploy"/> blocks, given the deploy it replaced (if known).</summary>
    public static IReadOnlyList<QuarantineSubject> SubjectsOf(DeployRecord deploy, DeployRecord? replaced)
    {
        var unchanged = (replaced?.Artifacts ?? []).Select(a => a.Digest).ToHashSet(StringComparer.Ordinal);
        return [new QuarantineSubject(QuarantineSubject.Version, deploy.Version),
            .. deploy.Artifacts.Select(a => a.Digest).Where(d => !unchanged.Contains(d)).Distinct(StringComparer.Ordinal)
                .Select(d => new QuarantineSubject(QuarantineSubject.Digest, d))];
    }

    /// <summary>Whether a rollback that ended with these step statuses quarantines its deploy: it reverted something.</summary>
    public static bool Applies(IEnumerable<StepStatus> statuses) => statuses.Any(s => s == StepStatus.Reverted);

    /// <summary>
    /// The active entry that refuses <paramref name="deploy"/> (its version or any artifact), or null.
    /// The deploy's own rollback never blocks it: that deploy is halted already.
    /// </summary>
    public static QuarantineEntry? Blocking(IEnumerable<QuarantineEntry> entries, DeployRecord deploy, DateTimeOffset now)
    {
        var carried = deploy.Artifacts.Select(a => a.Digest).ToHashSet(StringComparer.Ordinal);
        return entries
            .Where(e => e.IsActive(now) && e.DeployId != deploy.DeployId && e.Service == deploy.Service && e.Environment == deploy.Environment)
            .FirstOrDefault(e => e.Subject.Kind switch
            {
                QuarantineSubject.Version => e.Subject.Value == deploy.Version,
                QuarantineSubject.Digest => carried.Contains(e.Subject.Value),
                _ => false,
            });
    }

    /// <summary>What a refusal tells CI: which rollback, and how an operator lifts it.</summary>
    public static string Explain(QuarantineEntry entry) =>
        $"{entry.Subject} of {entry.Service} in {entry.Environment} is quarantined until {entry.Until:u}: rollback {entry.RollbackId} reverted deploy {entry.DeployId}. "
        + "Deploy a fixed version, or have an operator release it: POST /api/quarantine/release with service, environment, "
        + $"{entry.Subject.Kind} and a reason";
}
