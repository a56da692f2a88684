
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Orchestration;
using RollbackFunctions.Core.Quarantine;
using RollbackFunctions.Core.Rollbacks;
using RollbackFunctions.Testing;
using static RollbackFunctions.Testing.DeployBuilder;

namespace RollbackFunctions.Core.Tests.Quarantine;

/// <summary>Found by review: quarantine must never block the version a rollback restored, nor a newer fix that keeps an unchanged artifact.</summary>
public sealed class QuarantineOfWhatChangedTests
{
    private static readonly string Api = "sha256:" + new string('a', 64);
    private static readonly string ApiFixed = "sha256:" + new string('f', 64);
    private static readonly string Sidecar = "sha256:" + new string('b', 64);

    private readonly InMemoryDeployStore deploys = new();
    private readonly InMemoryQuarantineStore quarantine = new();
    private readonly FixedClock clock = new(T0.AddHours(2));

    private async Task CompleteAsync(DeployRecord deploy)
    {
        var activity = new CompleteRollbackActivity(deploys, new InMemoryRollbackStore(), quarantine, new InMemoryAuditLog(), clock);
        await activity.ExecuteAsync(
            new CompletionRequest($"rb-{deploy.DeployId}", deploy.DeployId, RollbackPhase.Succeeded, "reverted", new Dictionary<string, StepStatus> { ["rollout"] = StepStatus.Reverted })
            { QuarantineFor = TimeSpan.FromDays(7) },
            CancellationToken.None);
    }

    // A config-only redeploy keeps the version: its rollback restores 1.4.2 (with the same image),
    // and quarantine then blocks exactly what is running now, and the fixed config of it.
    [Fact]
    public async Task SameVersionRedeploy_RolledBack_DoesNotQuarantineTheRestoredVersionOrImage()
    {
        var good = Record(id: "d-good", registeredAt: T0, state: DeployState.Stable, steps: [Step("rollout")]) with { Version = "1.4.2", PreviousVersion = "1.4.1", Artifacts = [new("api", Api)] };
        var config = Record(id: "d-config", registeredAt: T0.AddHours(1), steps: [Step("rollout")]) with { Version = "1.4.2", PreviousVersion = "1.4.2", Artifacts = [new("api", Api)] };
        await deploys.AddAsync(good, CancellationToken.None);
        await deploys.AddAsync(config, CancellationToken.None);

        await CompleteAsync(config);

        var fixedConfig = Record(id: "d-fix", registeredAt: T0.AddHours(3), steps: [Step("rollout")]) with { Version = "1.4.2", PreviousVersion = "1.4.2", Artifacts = [new("api", Api)] };
        var blocking = QuarantineRule.Blocking(await quarantine.FindAsync("checkout", "prod", CancellationToken.None), fixedConfig, clock.GetUtcNow());
        Assert.Null(blocking);
    }

    // A newer deploy registered before the older one's rollback finished (the fix, say), sharing an
    // unchanged sidecar with it: its gate closes, though "a newer version is never blocked".
    [Fact]
    public async Task NewerVersionSharingAnUnchangedSidecar_IsNotStoppedAtTheGate()
    {
        var bad = Record(id: "d-bad", registeredAt: T0, steps: [Step("rollout")]) with { Version = "1.4.2", Artifacts = [new("api", Api), new("sidecar", Sidecar)] };
        var fix = Record(id: "d-fix", registeredAt: T0.AddHours(1), steps: [Step("rollout", StepStatus.Pending)]) with { Version = "1.4.3", Artifacts = [new("api", ApiFixed), new("sidecar", Sidecar)] };
        await deploys.AddAsync(bad, CancellationToken.None);
        await deploys.AddAsync(fix, CancellationToken.None);

        await CompleteAsync(bad);

        var blocking = QuarantineRule.Blocking(await quarantine.FindAsync("checkout", "prod", CancellationToken.None), fix, clock.GetUtcNow());
        Assert.Null(blocking);
    }
}

internal sealed class FixedClock(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}
