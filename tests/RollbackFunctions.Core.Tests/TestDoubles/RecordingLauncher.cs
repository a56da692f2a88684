using System.Collections.Concurrent;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Ports;
using RollbackFunctions.Core.Rollbacks;

namespace RollbackFunctions.Core.Tests.TestDoubles;

/// <summary>Records the rollbacks the watcher asks for; the real claim path runs in the integration tests.</summary>
internal sealed class RecordingLauncher : IRollbackLauncher
{
    public ConcurrentQueue<(string DeployId, RollbackTrigger Trigger)> Started { get; } = new();

    /// <summary>Asks refused by the policy (answered with a refusal, as <c>RollbackStarter</c> does).</summary>
    public ConcurrentQueue<(string DeployId, RollbackTrigger Trigger)> Refused { get; } = new();

    /// <summary>This many more asks are refused by the policy before one starts a rollback.</summary>
    public int RefusalsLeft { get; set; }

    public Task<RollbackStart> StartAsync(string deployId, RollbackTrigger trigger, CancellationToken cancellationToken)
    {
        if (RefusalsLeft > 0)
        {
            RefusalsLeft--;
            Refused.Enqueue((deployId, trigger));
            return Task.FromResult(new RollbackStart(deployId, Identifiers.RollbackIdFor(deployId), Started: false, "MaxAutomaticRollbacks: 3 automatic rollbacks in the last hour"));
        }

        Started.Enqueue((deployId, trigger));
        return Task.FromResult(new RollbackStart(deployId, Identifiers.RollbackIdFor(deployId), Started: true));
    }
}
