namespace RollbackFunctions.Local;

/// <summary>What the local runtime's own engine plumbing logs. Event ids 4000-4099.</summary>
internal static partial class LocalLog
{
    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "Stopping: handing over to the next runtime ({Running} running activities may finish within {DrainLimit})")]
    public static partial void HandingOver(ILogger logger, int running, TimeSpan drainLimit);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Warning, Message = "Stopping: activity {Activity} of {InstanceId} was still running at the drain limit; given back, the next runtime runs it again (same idempotency key)")]
    public static partial void ActivityGivenBack(ILogger logger, string instanceId, string activity);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Information, Message = "Stopped: partition leases released for the next runtime")]
    public static partial void HandedOver(ILogger logger);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Warning, Message = "Stopped before the partition leases were released; the next runtime takes over once they expire ({LeaseInterval})")]
    public static partial void HandoverCutShort(ILogger logger, TimeSpan leaseInterval);
}
