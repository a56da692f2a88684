using RollbackFunctions.Core.Audit;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Rollbacks;
using RollbackFunctions.Core.Verification;

namespace RollbackFunctions.Api.Http;

/// <summary>A rollback as operators see it: phase and timeline, evidence, every step with timings, verification samples.</summary>
public sealed record RollbackView(
    string RollbackId,
    string DeployId,
    RollbackPhase Phase,
    RollbackTrigger Trigger,
    DateTimeOffset ClaimedAt,
    DateTimeOffset? ScheduledAt,
    DateTimeOffset? CompletedAt,
    string? Summary,
    IReadOnlyList<RollbackStepView> Steps,
    IReadOnlyList<VerificationSample> Verification,
    IReadOnlyList<PhaseChange> Timeline,
    IReadOnlyDictionary<string, string> Links)
{
    public static RollbackView Of(RollbackRecord head, IReadOnlyList<RollbackStepRecord> steps, IReadOnlyList<VerificationSample> samples) => new(
        head.RollbackId, head.DeployId, head.Phase, head.Trigger, head.ClaimedAt, head.ScheduledAt, head.CompletedAt, head.Summary,
        steps.Select(RollbackStepView.Of).ToList(),
        samples,
        head.Timeline,
        LinksOf(head));

    public static IReadOnlyDictionary<string, string> LinksOf(RollbackRecord head) => new Dictionary<string, string>
    {
        ["self"] = $"/api/rollbacks/{head.RollbackId}",
        ["deploy"] = $"/api/deploys/{head.DeployId}",
        ["audit"] = $"/api/rollbacks/{head.RollbackId}/audit",
        ["report"] = $"/api/rollbacks/{head.RollbackId}/report",
        ["abort"] = $"/api/rollbacks/{head.RollbackId}/abort",
    };
}

/// <summary>One step of a rollback.</summary>
public sealed record RollbackStepView(
    string StepId,
    string Kind,
    int? Level,
    StepStatus Status,
    int Attempts,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    double? DurationMs,
    string Detail,
    DateTimeOffset? ApprovalDue,
    string? PlanDigest)
{
    public static RollbackStepView Of(RollbackStepRecord step) => new(
        step.StepId, step.Kind, step.Level < 0 ? null : step.Level, step.Status, step.Attempts, step.StartedAt, step.FinishedAt,
        step.FinishedAt - step.StartedAt is { } took ? Math.Round(took.TotalMilliseconds, 1) : null,
        step.Detail,
        step.Status == StepStatus.AwaitingApproval ? step.ApprovalDue : null,
        step.Status == StepStatus.AwaitingApproval ? step.PlanDigest : null);
}

/// <summary>One line of <c>GET /api/rollbacks</c>.</summary>
public sealed record RollbackListItem(string RollbackId, string DeployId, RollbackPhase Phase, string Trigger, DateTimeOffset ClaimedAt, DateTimeOffset? CompletedAt, string? Summary, IReadOnlyDictionary<string, string> Links)
{
    public static RollbackListItem Of(RollbackRecord head) =>
        new(head.RollbackId, head.DeployId, head.Phase, head.Trigger.Kind, head.ClaimedAt, head.CompletedAt, head.Summary, RollbackView.LinksOf(head));
}

/// <summary>Reply of <c>GET /api/rollbacks/{id}/audit</c>.</summary>
public sealed record AuditReply(string RollbackId, bool Verified, string? Problem, bool Keyed, IReadOnlyList<AuditRow> Rows);
