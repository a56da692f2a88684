using RollbackFunctions.Core.Notifications;

namespace RollbackFunctions.Core.Ports;

/// <summary>Delivers pages and change notices to the channels configured for the deploy's service and environment.</summary>
public interface IPager
{
    /// <summary>Sends to every routed channel; a failing channel is an outcome, never an exception.</summary>
    Task<IReadOnlyList<ChannelOutcome>> PageAsync(Page page, CancellationToken cancellationToken);

    /// <summary>Sends a warning to every routed channel; failures are outcomes.</summary>
    Task<IReadOnlyList<ChannelOutcome>> WarnAsync(Notice notice, CancellationToken cancellationToken);

    /// <summary>Announces a change; best effort.</summary>
    Task<IReadOnlyList<ChannelOutcome>> AnnounceAsync(ChangeNotice notice, CancellationToken cancellationToken);
}
