using Microsoft.Extensions.Logging;

namespace RollbackFunctions.Infrastructure;

/// <summary>What the adapters log. Event ids 3000-3099.</summary>
internal static partial class InfrastructureLog
{
    [LoggerMessage(EventId = 3001, Level = LogLevel.Error, Message = "Notification channel {Channel} failed: {Detail}")]
    public static partial void ChannelFailed(ILogger logger, string channel, string detail);

}
