using Microsoft.Extensions.Logging;
using RollbackFunctions.Core.Rollbacks;

namespace RollbackFunctions.Core.Orchestration;

/// <summary>
/// What a rollback logs, so an operator can follow one in Application Insights by its id, not only
/// in the audit table. Event ids 1000-1099; the orchestrator's go through a replay-safe logger.
/// </summary>
internal static partial class OrchestrationLog
{
    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Rollback {RollbackId} entered {Phase}: {Note}")]
    public static partial void PhaseEntered(ILogger logger, string rollbackId, RollbackPhase phase, string note);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Warning, Message = "Rollback {RollbackId} ended {Phase}: {Summary}")]
    public static partial void Finished(ILogger logger, string rollbackId, RollbackPhase phase, string summary);

    [LoggerMessage(EventId = 1010, Level = LogLevel.Information, Message = "Rollback {RollbackId}: reverting step {StepId} ({Kind}), attempt {Attempt}")]
    public static partial void StepStarted(ILogger logger, string rollbackId, string stepId, string kind, int attempt);

    [LoggerMessage(EventId = 1011, Level = LogLevel.Information, Message = "Rollback {RollbackId}: step {StepId} {Outcome}: {Detail}")]
    public static partial void StepFinished(ILogger logger, string rollbackId, string stepId, string outcome, string detail);

    [LoggerMessage(EventId = 1012, Level = LogLevel.Warning, Message = "Rollback {RollbackId}: step {StepId}'s target changed after it was read (read {Reads}); reading and judging it again: {Detail}")]
    public static partial void TargetChanged(ILogger logger, string rollbackId, string stepId, int reads, string detail);

    [LoggerMessage(EventId = 1030, Level = LogLevel.Warning, Message = "Watcher of deploy {DeployId}: {Breach}")]
    public static partial void WatchBreached(ILogger logger, string deployId, string breach);

    [LoggerMessage(EventId = 1020, Level = LogLevel.Information, Message = "Rollback {RollbackId}: {PageKind} page: {Delivered} of {Channels} channel(s) delivered")]
    public static partial void PageSent(ILogger logger, string rollbackId, string pageKind, int delivered, int channels);
}
