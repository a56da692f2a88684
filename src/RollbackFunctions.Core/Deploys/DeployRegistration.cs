using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using RollbackFunctions.Core.Verification;
using RollbackFunctions.Core.Watching;

namespace RollbackFunctions.Core.Deploys;

/// <summary>Body of <c>POST /api/deploys</c>, as CI sends it.</summary>
public sealed record DeployRegistration
{
    public string? DeployId { get; init; }

    [JsonRequired] public string Service { get; init; } = "";
    [JsonRequired] public string Environment { get; init; } = "";
    [JsonRequired] public string Version { get; init; } = "";
    public string? PreviousVersion { get; init; }
    public Dictionary<string, string>? Labels { get; init; }

    /// <summary>When the change was committed (RFC 3339), for lead time; checked by <see cref="CommitTimes"/>.</summary>
    public string? CommitTime { get; init; }

    /// <summary>Bake window after completion, in minutes.</summary>
    public int? WatchMinutes { get; init; }

    [JsonRequired] public List<StepRegistration> Steps { get; init; } = [];

    /// <summary>Health checks that judge the deploy and verify its rollback.</summary>
    public RollbackConditions? Conditions { get; init; }

    /// <summary><c>act</c> (default) or <c>observe</c>: report "would roll back" instead of rolling back.</summary>
    public DeployMode? Mode { get; init; }

    /// <summary>The GitOps objects that manage this deploy, held before the first revert.</summary>
    public List<GitOpsTarget>? Gitops { get; init; }

    /// <summary>Artifacts by digest; a rollback that reverts this deploy quarantines the ones it introduced.</summary>
    public List<Artifact>? Artifacts { get; init; }

    /// <summary>The live record of a valid registration: active, every step pending, defaults filled in.</summary>
    /// <param name="now">Registration time; alerts that started before it never match.</param>
    /// <param name="digest">Digest of the body as received, to tell a re-send from a conflicting one.</param>
    public DeployRecord ToRecord(DateTimeOffset now, string digest) => new()
    {
        DeployId = DeployId ?? $"d-{Guid.NewGuid():N}",
        Service = Service,
        Environment = Environment,
        Version = Version,
        PreviousVersion = PreviousVersion,
        CommitTime = CommitTimes.Parse(CommitTime),
        Labels = Labels ?? [],
        WatchMinutes = WatchMinutes ?? DeployDefaults.WatchMinutes,
        Steps = Steps.Select(s => new DeployStep(
            s.Id, s.Kind, s.DependsOn ?? [], s.Params ?? [], s.Revert?.Mode ?? RevertMode.Auto, StepStatus.Pending, null)
        {
            MaxAttempts = s.Revert?.MaxAttempts,
            Deadline = s.Revert?.Deadline,
        }).ToList(),
        Conditions = Conditions,
        Mode = Mode ?? DeployMode.Act,
        GitOps = Gitops ?? [],
        Artifacts = Artifacts ?? [],
        State = DeployState.Active,
        RegisteredAt = now,
        RegistrationDigest = digest,
    };
}

/// <summary>One step of a <see cref="DeployRegistration"/>.</summary>
public sealed record StepRegistration
{
    [JsonRequired] public string Id { get; init; } = "";
    [JsonRequired] public string Kind { get; init; } = "";
    public List<string>? DependsOn { get; init; }
    public JsonObject? Params { get; init; }
    public RevertRegistration? Revert { get; init; }
}

/// <summary>How a step may be reverted.</summary>
public sealed record RevertRegistration
{
    public RevertMode Mode { get; init; } = RevertMode.Auto;

    /// <summary>Attempts of this step's revert; the rollback's default when absent.</summary>
    public int? MaxAttempts { get; init; }

    /// <summary>How long this step's revert may take before the rollback pages "stuck".</summary>
    public TimeSpan? Deadline { get; init; }
}
