using RollbackFunctions.Core.Rollbacks;

namespace RollbackFunctions.Core.Ports;

/// <summary>
/// Starts the one rollback of a deploy through the same claim alerts and operators use, so a
/// watcher breach and an alert arriving together start one rollback.
/// </summary>
public interface IRollbackLauncher
{
    Task<RollbackStart> StartAsync(string deployId, RollbackTrigger trigger, CancellationToken cancellationToken);
}
