using RollbackFunctions.Core.Audit;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Ports;
using RollbackFunctions.Core.Rollbacks;
using Microsoft.Extensions.DependencyInjection;

namespace RollbackFunctions.Integration.Tests.EndToEnd;

/// <summary>
/// Issue 9, finding 1: a claimer that died between the claim and scheduling left a claim nobody
/// scheduled until another alert came (Alertmanager re-sends an unchanged group after 4 h). The
/// product now finds such claims itself.
/// </summary>
public sealed class LostClaimTests
{
    [SkippableFact]
    public async Task ClaimLeftByACrashedClaimer_IsScheduledWithoutAnotherAlert()
    {
        await using var receiver = await LocalReceiver.StartAsync();
        await using var runtime = await TestRuntime.StartAsync(
            "Rollback:Orchestration:StaleClaimAfter=00:00:02",
            "Rollback:Orchestration:LostClaimSweepInterval=00:00:01");
        var id = $"lost-{Guid.NewGuid():N}";
        await Api.AlertIntakeApiTests.RegisterCompletedAsync(runtime, Payloads.DiamondDeploy(id, receiver, "lost-claims"));

        // What a claimer leaves when it dies right after its conditional insert.
        var rollbacks = runtime.Services.GetRequiredService<IRollbackStore>();
        var claimed = await rollbacks.TryClaimAsync(new RollbackRecord
        {
            RollbackId = Identifiers.RollbackIdFor(id),
            DeployId = id,
            Phase = RollbackPhase.Halting,
            Trigger = new RollbackTrigger(TriggerKinds.Alert, RollbackActors.System, "matched before the crash", []),
            ClaimedAt = DateTimeOffset.UtcNow,
        }, default);

        await receiver.WaitForAsync(r => r.Any(x => x.Path == "rollout"), TimeSpan.FromSeconds(60), "the recovered rollback's first revert");

        Assert.True(claimed);
        var head = await rollbacks.GetAsync(Identifiers.RollbackIdFor(id), default);
        Assert.NotNull(head!.ScheduledAt);
    }
}
