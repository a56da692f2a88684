using Microsoft.Extensions.Logging;

namespace RollbackFunctions.Api;

/// <summary>What the API logs, keyed by deploy and rollback ids. Event ids 2000-2099.</summary>
internal static partial class ApiLog
{
    [LoggerMessage(EventId = 2001, Level = LogLevel.Warning, Message = "Rollback {RollbackId} of deploy {DeployId} started by {TriggerKind}: {Reason}")]
    public static partial void RollbackStarted(ILogger logger, string rollbackId, string deployId, string triggerKind, string reason);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Warning, Message = "Rollback {RollbackId} was claimed but never scheduled; scheduling it now")]
    public static partial void LostClaimRecovered(ILogger logger, string rollbackId);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Error, Message = "Looking for lost rollback claims failed; the next sweep tries again")]
    public static partial void LostClaimSweepFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Information, Message = "Deleted {Count} deploy(s) without a rollback untouched for longer than {Retention}")]
    public static partial void DeploysPruned(ILogger logger, int count, TimeSpan retention);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Error, Message = "Deleting old deploys failed; the next run tries again")]
    public static partial void DeployPruneFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 2006, Level = LogLevel.Warning, Message = "Rollback {RollbackId} is not finished but its orchestration is {InstanceState}; restarting it from its record (restart {Restart})")]
    public static partial void StalledRollbackRestarted(ILogger logger, string rollbackId, string instanceState, int restart);

    [LoggerMessage(EventId = 2007, Level = LogLevel.Error, Message = "Rollback {RollbackId} stalled again (orchestration {InstanceState}) after {Restarts} restart(s); escalated as failed")]
    public static partial void StalledRollbackEscalated(ILogger logger, string rollbackId, string instanceState, int restarts);

    [LoggerMessage(EventId = 2008, Level = LogLevel.Error, Message = "Looking for stalled rollbacks failed; the next sweep tries again")]
    public static partial void StalledSweepFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 2010, Level = LogLevel.Information, Message = "Alert {AlertName} ({Source}, {Status}) matched deploy {DeployId}: {Reason}")]
    public static partial void AlertMatched(ILogger logger, string alertName, string source, string status, string deployId, string reason);

    [LoggerMessage(EventId = 2011, Level = LogLevel.Information, Message = "Alert {AlertName} ({Source}, {Status}) matched no deploy: {Reason}")]
    public static partial void AlertUnmatched(ILogger logger, string alertName, string source, string status, string reason);

    [LoggerMessage(EventId = 2012, Level = LogLevel.Error, Message = "Alert webhook to {Path} ({ContentLength} bytes) refused as unreadable; its alerts were not processed")]
    public static partial void AlertWebhookRefused(ILogger logger, string path, long? contentLength);

    [LoggerMessage(EventId = 2013, Level = LogLevel.Error, Message = "{Count} alert(s) of a webhook could not be read and were skipped (the others were processed); first: {Problem}")]
    public static partial void AlertsRejected(ILogger logger, int count, string problem);

    [LoggerMessage(EventId = 2031, Level = LogLevel.Error, Message = "The {Part} is unavailable; {Path} answered 503 with Retry-After")]
    public static partial void DependencyUnavailable(ILogger logger, string part, string path, Exception exception);

    [LoggerMessage(EventId = 2030, Level = LogLevel.Error, Message = "Health probe of the {Part} failed")]
    public static partial void HealthProbeFailed(ILogger logger, string part, Exception exception);

    [LoggerMessage(EventId = 2032, Level = LogLevel.Warning, Message = "Health probe of the {Part} got no answer within {Timeout}")]
    public static partial void HealthProbeTimedOut(ILogger logger, string part, TimeSpan timeout);

    [LoggerMessage(EventId = 2020, Level = LogLevel.Information, Message = "Deploy {DeployId} registered: {Service} {Version} in {Environment}, {StepCount} step(s)")]
    public static partial void DeployRegistered(ILogger logger, string deployId, string service, string version, string environment, int stepCount);

    [LoggerMessage(EventId = 2021, Level = LogLevel.Warning, Message = "Deploy {DeployId}: step {StepId} reported {Status} after rollback {RollbackId} halted it; not part of that rollback")]
    public static partial void StepReportedAfterHalt(ILogger logger, string deployId, string stepId, string status, string rollbackId);

    [LoggerMessage(EventId = 2022, Level = LogLevel.Warning, Message = "Deploy {DeployId} registered, but its rollback plan could not be read now ({Error}); GET its plan later")]
    public static partial void PlanNotAnswered(ILogger logger, string deployId, string error);

    [LoggerMessage(EventId = 2040, Level = LogLevel.Warning, Message = "A request to the Slack interaction route was refused: no valid, recent Slack signature")]
    public static partial void SlackSignatureRefused(ILogger logger);

    [LoggerMessage(EventId = 2041, Level = LogLevel.Warning, Message = "{Actor} clicked a decision on step {StepId} of rollback {RollbackId} but is not in Rollback:Slack:Operators; refused")]
    public static partial void SlackUserRefused(ILogger logger, string actor, string rollbackId, string stepId);

    [LoggerMessage(EventId = 2042, Level = LogLevel.Error, Message = "A Slack decision on step {StepId} of rollback {RollbackId} failed after Slack was answered")]
    public static partial void SlackInteractionFailed(ILogger logger, Exception exception, string rollbackId, string stepId);

    [LoggerMessage(EventId = 2023, Level = LogLevel.Warning, Message = "The impact figures for /metrics could not be read; the gauges keep the last ones and the next scrape tries again")]
    public static partial void ImpactFiguresFailed(ILogger logger, Exception exception);
}
