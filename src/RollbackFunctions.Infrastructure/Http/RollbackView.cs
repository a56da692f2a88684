using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Rollbacks;

namespace RollbackFunctions.Infrastructure.Http;

/// <summary>A rollback as operators see it: phase, evidence, every step with its timings.</summary>
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
    IReadOnlyDictionary<string, string> Links)
{
    public static RollbackView Of(RollbackRecord head, IReadOnlyList<RollbackStepRecord> steps) => new(
        head.RollbackId, head.DeployId, head.Phase, head.Trigger, head.ClaimedAt, head.ScheduledAt, head.CompletedAt, head.Summary,
        steps.Select(RollbackStepView.Of).ToList(),
        new Dictionary<string, string>
        {
            ["self"] = $"/api/rollbacks/{head.RollbackId}",
            ["deploy"] = $"/api/deploys/{head.DeployId}",
        });
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
    string Detail)
{
    public static RollbackStepView Of(RollbackStepRecord step) => new(
        step.StepId, step.Kind, step.Level < 0 ? null : step.Level, step.Status, step.Attempts, step.StartedAt, step.FinishedAt,
        step.FinishedAt - step.StartedAt is { } took ? Math.Round(took.TotalMilliseconds, 1) : null,
        step.Detail);
}
