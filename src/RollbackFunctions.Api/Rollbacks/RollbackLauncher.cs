using Microsoft.DurableTask.Client;
using RollbackFunctions.Core.Ports;
using RollbackFunctions.Core.Rollbacks;

namespace RollbackFunctions.Api.Rollbacks;

/// <summary>
/// The watcher's way into <see cref="RollbackStarter"/>, the one path that claims and starts a
/// rollback. The Durable client comes from the host: DI in the local runtime, the
/// <c>[DurableClient]</c> binding of the activity's trigger in the Functions app.
/// </summary>
public sealed class RollbackLauncher(RollbackStarter starter, Func<DurableTaskClient> durable) : IRollbackLauncher
{
    public Task<RollbackStart> StartAsync(string deployId, RollbackTrigger trigger, CancellationToken cancellationToken) =>
        starter.StartAsync(durable(), deployId, trigger, cancellationToken);
}
