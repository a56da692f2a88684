using System.Text.Json.Nodes;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Executors;
using RollbackFunctions.Core.Verification;
using RollbackFunctions.Core.Watching;

namespace RollbackFunctions.Api.Http;

/// <summary>A deploy as the API shows it.</summary>
public sealed record DeployView(
    string DeployId,
    string Service,
    string Environment,
    string Version,
    string? PreviousVersion,
    IReadOnlyDictionary<string, string> Labels,
    int WatchMinutes,
    DeployState State,
    DateTimeOffset RegisteredAt,
    DateTimeOffset? CompletedAt,
    DateTimeOffset? WatchUntil,
    string? RollbackId,
    IReadOnlyList<StepView> Steps,
    RollbackConditions? Conditions,
    DeployMode Mode,
    WatchReport? Watch,
    IReadOnlyDictionary<string, string> Links)
{
    /// <summary>The rollback plan, in the reply to a registration (<c>GET .../plan</c> answers it any time).</summary>
    public Core.Planning.RollbackPlan? Plan { get; init; }

    /// <summary>The watcher should be sampling and has not for three intervals (<see cref="WatchFreshness"/>).</summary>
    public bool WatchStale { get; init; }

    /// <summary>Every check before the deploy applied anything: what "worse" is measured against.</summary>
    public WatchBaseline? Baseline { get; init; }

    /// <summary>Warnings sent about the deploy and whether each was delivered.</summary>
    public IReadOnlyList<Core.Notifications.NoticeDelivery> Notices { get; init; } = [];

    public static DeployView Of(DeployRecord deploy, DateTimeOffset now, Func<DeployRecord, DateTimeOffset, bool> isStale)
    {
        var links = new Dictionary<string, string>
        {
            ["self"] = $"/api/deploys/{deploy.DeployId}",
            ["gate"] = $"/api/deploys/{deploy.DeployId}/gate",
            ["plan"] = $"/api/deploys/{deploy.DeployId}/plan",
        };
        if (deploy.RollbackId is not null)
        {
            links["rollback"] = $"/api/rollbacks/{deploy.RollbackId}";
        }

        return new DeployView(
            deploy.DeployId, deploy.Service, deploy.Environment, deploy.Version, deploy.PreviousVersion, deploy.Labels,
            deploy.WatchMinutes, deploy.StateAt(now), deploy.RegisteredAt, deploy.CompletedAt, deploy.WatchUntil, deploy.RollbackId,
            deploy.Steps.Select(s => new StepView(s.Id, s.Kind, s.DependsOn, CapturedSummary.Params(s.Params), new RevertView(s.RevertMode, s.MaxAttempts, s.Deadline), s.Status, s.UpdatedAt, CapturedSummary.Of(s.Captured))).ToList(),
            deploy.Conditions, deploy.Mode, deploy.Watch, links)
        {
            WatchStale = isStale(deploy, now),
            Baseline = deploy.Baseline,
            Notices = deploy.Notices,
        };
    }
}

/// <summary>
/// A deploy step as the API shows it; <c>captured</c> summarises what the executor read of the target at
/// registration, the state a revert returns to (<see cref="CapturedSummary"/>: names, digests, images, revisions; never values).
/// </summary>
public sealed record StepView(string Id, string Kind, IReadOnlyList<string> DependsOn, JsonObject Params, RevertView Revert, StepStatus Status, DateTimeOffset? UpdatedAt, JsonObject? Captured);

/// <summary>How a step may be reverted.</summary>
public sealed record RevertView(RevertMode Mode, int? MaxAttempts, TimeSpan? Deadline);

/// <summary>One line of <c>GET /api/deploys</c>: what it is, where it stands, and whether CI's gate is open.</summary>
public sealed record DeployListItem(
    string DeployId,
    string Service,
    string Environment,
    string Version,
    DeployState State,
    bool GateOpen,
    DateTimeOffset RegisteredAt,
    DateTimeOffset? WatchUntil,
    string? RollbackId)
{
    /// <summary>The watcher's state (<see cref="WatchReport.State"/>), or null for a deploy without checks.</summary>
    public string? Watch { get; init; }

    /// <summary>When the watcher last wrote.</summary>
    public DateTimeOffset? WatchAt { get; init; }

    /// <summary>The watcher should be sampling and has not for three intervals: the ops page flags it.</summary>
    public bool WatchStale { get; init; }

    public static DeployListItem Of(DeployRecord deploy, DateTimeOffset now, Func<DeployRecord, DateTimeOffset, bool> isStale)
    {
        var state = deploy.StateAt(now);
        return new(deploy.DeployId, deploy.Service, deploy.Environment, deploy.Version, state, !state.ClosesGate(), deploy.RegisteredAt, deploy.WatchUntil, deploy.RollbackId)
        {
            Watch = deploy.IsWatched ? deploy.Watch?.State ?? WatchReport.Starting : null,
            WatchAt = deploy.Watch?.At,
            WatchStale = isStale(deploy, now),
        };
    }
}
