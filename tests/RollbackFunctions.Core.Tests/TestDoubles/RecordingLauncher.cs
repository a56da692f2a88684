using System.Collections.Concurrent;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Ports;
using RollbackFunctions.Core.Rollbacks;

namespace RollbackFunctions.Core.Tests.TestDoubles;

/// <summary>Records the rollbacks the watcher asks for; the real claim path runs in the integration tests.</summary>
internal sealed class RecordingLauncher : IRollbackLauncher
{
    public ConcurrentQueue<(string DeployId, RollbackTrigger Trigger)> Started { get; } = new();

    public Task<RollbackStart> StartAsync(string deployId, RollbackTrigger trigger, CancellationToken cancellationToken)
    {
        Started.Enqueue((deployId, trigger));
        return Task.FromResult(new RollbackStart(deployId, Identifiers.RollbackIdFor(deployId), Started: true));
    }
}
