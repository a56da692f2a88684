using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Rollbacks;
using RollbackFunctions.Core.Verification;

namespace RollbackFunctions.Core.Notifications;

/// <summary>Why on-call hears from us.</summary>
public enum PageKind
{
    /// <summary>"Rollback in progress": sent before the first revert.</summary>
    RollbackStarted,

    /// <summary>A step waits for an operator's approval.</summary>
    ApprovalNeeded,

    /// <summary>A step passed its deadline.</summary>
    RollbackStuck,

    /// <summary>Reverted and verified healthy: the page resolves.</summary>
    RollbackSucceeded,

    /// <summary>Not everything reverted, or health did not come back: escalation.</summary>
    RollbackFailed,

    /// <summary>An operator aborted the rollback.</summary>
    RollbackAborted,
}

/// <summary>What the orchestration asks to page; the evidence is gathered by the activity.</summary>
public sealed record PageRequest(string RollbackId, PageKind Kind, string Summary);

/// <summary>A page with its evidence: triggering alerts, the plan and step outcomes, verification samples, the status link.</summary>
public sealed record Page(
    PageKind Kind,
    string Summary,
    DeployRecord Deploy,
    RollbackRecord Rollback,
    IReadOnlyList<RollbackStepRecord> Steps,
    IReadOnlyList<VerificationSample> Samples);

/// <summary>A deploy or a rollback, announced as a change (PagerDuty Change Events), never paging anyone.</summary>
public sealed record ChangeNotice(string Service, string Environment, string Summary, DateTimeOffset At, IReadOnlyDictionary<string, string> Details, string? Link);

/// <summary>
/// A warning about a deploy that is not (yet) a rollback: "would roll back" in observe mode,
/// "cannot evaluate" for a check that keeps failing. Pages at warning severity; <see cref="Key"/>
/// deduplicates repeats.
/// </summary>
public sealed record Notice(string Key, string Kind, string Service, string Environment, string Summary, IReadOnlyDictionary<string, string> Details, string? Link);

/// <summary>How one channel took a page.</summary>
public sealed record ChannelOutcome(string Channel, bool Delivered, string Detail);
