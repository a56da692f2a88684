using RollbackFunctions.Core.Verification;
using RollbackFunctions.Core.Watching;

namespace RollbackFunctions.Core.Deploys;

/// <summary>A deploy as registered by CI, with the state the product keeps for it.</summary>
public sealed partial record DeployRecord
{
    public required string DeployId { get; init; }
    public required string Service { get; init; }
    public required string Environment { get; init; }
    public required string Version { get; init; }
    public string? PreviousVersion { get; init; }

    /// <summary>When the change was committed, as CI registered it: where lead time starts.</summary>
    public DateTimeOffset? CommitTime { get; init; }
    public required IReadOnlyDictionary<string, string> Labels { get; init; }
    public required int WatchMinutes { get; init; }
    public required IReadOnlyList<DeployStep> Steps { get; init; }

    /// <summary>Health checks: the watcher samples them from the first applied step on (a baseline at registration), verification uses them to prove the rollback restored health.</summary>
    public RollbackConditions? Conditions { get; init; }

    /// <summary><see cref="DeployMode.Observe"/>: breaches are reported as "would roll back", never acted on.</summary>
    public DeployMode Mode { get; init; }

    /// <summary>The last time the guardrails refused to roll this deploy back automatically, and why.</summary>
    public Policy.PolicyRefusal? Refused { get; init; }

    /// <summary>GitOps objects managing the deploy: held before the first revert.</summary>
    public IReadOnlyList<GitOpsTarget> GitOps { get; init; } = [];

    /// <summary>Artifacts by digest, as registered: what a rollback of this deploy quarantines.</summary>
    public IReadOnlyList<Artifact> Artifacts { get; init; } = [];

    /// <summary>The last rehearsal of the rollback (<c>POST /api/deploys/{id}/rehearse</c>), if any.</summary>
    public Rehearsal? Rehearsal { get; init; }

    /// <summary>An operator waived the readiness the environment requires, for this deploy.</summary>
    public ReadinessWaiver? Waiver { get; init; }

    /// <summary>What the watcher last saw, once it ran.</summary>
    public WatchReport? Watch { get; init; }

    /// <summary>Every check sampled when the watcher started, before the deploy applied anything.</summary>
    public WatchBaseline? Baseline { get; init; }

    /// <summary>Warnings sent about this deploy (refusals, "would roll back", "cannot evaluate", "already failing") and whether each was delivered.</summary>
    public IReadOnlyList<Notifications.NoticeDelivery> Notices { get; init; } = [];

    /// <summary>Whether the deploy has checks to watch.</summary>
    public bool IsWatched => Conditions?.Checks is { Count: > 0 };

    public required DeployState State { get; init; }
    public required DateTimeOffset RegisteredAt { get; init; }
    public DateTimeOffset? CompletedAt { get; init; }
    public string? RollbackId { get; init; }

    /// <summary>Digest of the registration body: the same id re-sent with another body is a conflict.</summary>
    public required string RegistrationDigest { get; init; }

    /// <summary>When CI last said anything about this deploy: registration, a step report, completion.</summary>
    public DateTimeOffset LastActivityAt =>
        Steps.Select(s => s.UpdatedAt ?? RegisteredAt).Append(CompletedAt ?? RegisteredAt).Append(RegisteredAt).Max();

    /// <summary>
    /// Whether the record may be deleted once <paramref name="retainedSince"/> is the oldest moment
    /// kept: nothing happened to it since, and it never had a rollback (every incident keeps its
    /// deploy, the postmortem's evidence; the watch window of a deploy that old is long over).
    /// </summary>
    public bool IsPrunable(DateTimeOffset retainedSince) => RollbackId is null && LastActivityAt < retainedSince;

    /// <summary>End of the bake window, once CI reported completion.</summary>
    public DateTimeOffset? WatchUntil => CompletedAt?.AddMinutes(WatchMinutes);

    /// <summary>
    /// The state as of <paramref name="now"/>: a baking deploy whose window has passed is stable.
    /// Derived on read so no timer has to flip it.
    /// </summary>
    public DeployState StateAt(DateTimeOffset now) =>
        State == DeployState.Baking && WatchUntil <= now ? DeployState.Stable : State;

    /// <summary>Finds a step by id, or null.</summary>
    public DeployStep? FindStep(string stepId) => Steps.FirstOrDefault(s => s.Id == stepId);
}
