using RollbackFunctions.Core.Deploys;

namespace RollbackFunctions.Core.Quarantine;

/// <summary>
/// The one home of the quarantine rule: after a rollback reverted anything, what the deploy changed
/// is not deployed again to that service and environment for a while (a retried pipeline or a
/// GitOps auto-sync would bring the bad change straight back). What it changed is judged against
/// the deploy that was live before it (the newest earlier one not rolled back): its version, unless
/// that is the version the rollback restored (a config-only redeploy keeps the version), and the
/// artifact digests it introduced; when the deploy before it is unknown or registered no artifacts,
/// the version only. Matching is exact, and a digest blocks a deploy of another version only when
/// everything that deploy ships was quarantined (a retag of the same bits): a newer version that
/// changes any artifact is never blocked by an older one's quarantine, even if it keeps an unchanged
/// sidecar.
/// </summary>
public static class QuarantineRule
{
    /// <summary>What quarantining <paramref name="deploy"/> blocks, given the deploy that was live before it (if known).</summary>
    public static IReadOnlyList<QuarantineSubject> SubjectsOf(DeployRecord deploy, DeployRecord? before)
    {
        var restoredVersion = deploy.Version == deploy.PreviousVersion || deploy.Version == before?.Version;
        var subjects = new List<QuarantineSubject>();
        if (!restoredVersion)
        {
            subjects.Add(new QuarantineSubject(QuarantineSubject.Version, deploy.Version));
        }

        if (before is { Artifacts.Count: > 0 })
        {
            var unchanged = before.Artifacts.Select(a => a.Digest).ToHashSet(StringComparer.Ordinal);
            subjects.AddRange(deploy.Artifacts.Select(a => a.Digest).Where(d => !unchanged.Contains(d)).Distinct(StringComparer.Ordinal)
                .Select(d => new QuarantineSubject(QuarantineSubject.Digest, d)));
        }

        return subjects;
    }

    /// <summary>Whether a rollback that ended with these step statuses quarantines its deploy: it reverted something.</summary>
    public static bool Applies(IEnumerable<StepStatus> statuses) => statuses.Any(s => s == StepStatus.Reverted);

    /// <summary>
    /// The active entry that refuses <paramref name="deploy"/> (its version or any artifact), or null.
    /// The deploy's own rollback never blocks it: that deploy is halted already.
    /// </summary>
    public static QuarantineEntry? Blocking(IEnumerable<QuarantineEntry> entries, DeployRecord deploy, DateTimeOffset now)
    {
        var active = entries.Where(e => e.IsActive(now) && e.DeployId != deploy.DeployId && e.Service == deploy.Service && e.Environment == deploy.Environment).ToList();
        if (active.FirstOrDefault(e => e.Subject.Kind == QuarantineSubject.Version && e.Subject.Value == deploy.Version) is { } version)
        {
            return version;
        }

        // Digests: only a deploy that ships nothing but quarantined bits (a retag) is refused.
        var quarantined = active.Where(e => e.Subject.Kind == QuarantineSubject.Digest).ToDictionary(e => e.Subject.Value, StringComparer.Ordinal);
        var carried = deploy.Artifacts.Select(a => a.Digest).Distinct(StringComparer.Ordinal).ToList();
        return carried.Count > 0 && carried.All(quarantined.ContainsKey) ? quarantined[carried[0]] : null;
    }

    /// <summary>What a refusal tells CI: which rollback, and how an operator lifts it.</summary>
    public static string Explain(QuarantineEntry entry) =>
        $"{entry.Subject} of {entry.Service} in {entry.Environment} is quarantined until {entry.Until:u}: rollback {entry.RollbackId} reverted deploy {entry.DeployId}. "
        + "Deploy a fixed version, or have an operator release it: POST /api/quarantine/release with service, environment, "
        + $"{entry.Subject.Kind} and a reason";
}
