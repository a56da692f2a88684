using System.Text.Json.Nodes;
using RollbackFunctions.Api.Insights;
using RollbackFunctions.Core.Audit;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Rollbacks;
using RollbackFunctions.Testing;

namespace RollbackFunctions.Infrastructure.Tests.Storage;

/// <summary>
/// A key scoped to a service reads the figures of that service (SAFETY.md 5, 9). Review finding: the
/// reader's caps (<see cref="ImpactReader.MaxDeploys"/>, <see cref="ImpactReader.MaxRollbacks"/>)
/// are taken over every service's records before the key's scope is applied, so a busy service
/// elsewhere pushes a scoped key's own deploys and rollbacks out of its figures.
/// </summary>
public sealed class ImpactReaderScopeTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 2, 10, 0, 0, TimeSpan.Zero);

    [Fact(Skip = "review-a finding, not fixed: the caps apply before the key's scope; fails when run")]
    public async Task Read_ScopedKey_ABusierServiceElsewhere_DoesNotHideItsOwnDeploysOrRollbacks()
    {
        var (deploys, rollbacks) = (new InMemoryDeployStore(), new InMemoryRollbackStore());
        await AddDeployAsync(deploys, "cart-1", "cart", Now.AddDays(-10));
        await ClaimAsync(rollbacks, "rb-cart-1", "cart-1", Now.AddDays(-10).AddMinutes(10));
        for (var i = 0; i < ImpactReader.MaxDeploys; i++)
        {
            await AddDeployAsync(deploys, $"checkout-{i}", "checkout", Now.AddDays(-5).AddSeconds(i));
        }

        for (var i = 0; i < ImpactReader.MaxRollbacks; i++)
        {
            await ClaimAsync(rollbacks, $"rb-checkout-{i}", $"checkout-{i}", Now.AddDays(-4).AddSeconds(i));
        }

        var cart = await new ImpactReader(deploys, rollbacks).ReadAsync(Now.AddDays(-30), Now, null, null, (service, _) => service == "cart", default);

        Assert.Equal((1, 1), (cart.Total.Deploys, cart.Total.Rollbacks));
    }

    private static Task AddDeployAsync(InMemoryDeployStore deploys, string id, string service, DateTimeOffset at) =>
        deploys.AddAsync(
            new DeployRecord
            {
                DeployId = id, Service = service, Environment = "prod", Version = "1.0.0", Labels = new Dictionary<string, string>(), WatchMinutes = 30,
                Steps = [new DeployStep("rollout", "kubernetes", [], new JsonObject(), RevertMode.Auto, StepStatus.Applied, at)],
                State = DeployState.Baking, RegisteredAt = at, RegistrationDigest = id,
            },
            default);

    private static Task<bool> ClaimAsync(InMemoryRollbackStore rollbacks, string rollbackId, string deployId, DateTimeOffset at) =>
        rollbacks.TryClaimAsync(
            new RollbackRecord
            {
                RollbackId = rollbackId, DeployId = deployId, Phase = RollbackPhase.Halting, ClaimedAt = at,
                Trigger = new RollbackTrigger(TriggerKinds.Manual, "alice", "test", []),
                Timeline = [new PhaseChange(RollbackPhase.Halting, at, "claimed")],
            },
            default);
}
