using RollbackFunctions.Core.Notifications;

namespace RollbackFunctions.Infrastructure.Notifications;

/// <summary>One way to reach people (PagerDuty, Slack, Teams). Idempotent where the channel allows: PagerDuty dedups on the rollback id.</summary>
public interface INotificationChannel
{
    string Name { get; }

    bool IsConfigured(NotificationRoute route);

    /// <summary>Sends a page; <paramref name="links"/> are its status and ops page links.</summary>
    Task<ChannelOutcome> PageAsync(Page page, NotificationRoute route, PageLinks links, CancellationToken cancellationToken);

    /// <summary>Sends a warning (observe mode, a check that cannot be evaluated).</summary>
    Task<ChannelOutcome> WarnAsync(Notice notice, NotificationRoute route, CancellationToken cancellationToken);

    /// <summary>Announces a change; null when the channel has no such notion.</summary>
    Task<ChannelOutcome?> AnnounceAsync(ChangeNotice notice, NotificationRoute route, CancellationToken cancellationToken);
}
