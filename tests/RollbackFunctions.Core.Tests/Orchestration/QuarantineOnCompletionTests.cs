using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Quarantine;
using static RollbackFunctions.Testing.DeployBuilder;

namespace RollbackFunctions.Core.Tests.Orchestration;

/// <summary>A rollback that reverted anything quarantines its deploy's version and artifacts, on the real engine.</summary>
public sealed class QuarantineOnCompletionTests : IAsyncLifetime
{
    private static readonly string Api = "sha256:" + new string('c', 64);
    private readonly RollbackHarness harness = new();

    [Fact]
    public async Task Rollback_RevertedAStep_QuarantinesVersionAndArtifacts_AndAuditsIt()
    {
        harness.QuarantineFor = TimeSpan.FromDays(7);
        harness.Artifacts = [new Artifact("api", Api)];
        // What was live before: another version, another image.
        await harness.Deploys.AddAsync(Record(id: "d-before", registeredAt: T0.AddHours(-1), state: DeployState.Stable) with { Version = "1.4.1", Artifacts = [new Artifact("api", "sha256:" + new string('9', 64))] }, CancellationToken.None);

        var result = await harness.RunAsync([Step("rollout")]);

        var entries = await harness.Quarantine.FindAsync("checkout", "prod", CancellationToken.None);
        Assert.Equal([new QuarantineSubject("version", "1.4.2"), new QuarantineSubject("digest", Api)], entries.Select(e => e.Subject).ToList());
        Assert.All(entries, e => Assert.Equal(result.RollbackId, e.RollbackId));
        Assert.All(entries, e => Assert.Equal(TimeSpan.FromDays(7), e.Until - e.QuarantinedAt));
        Assert.Contains(harness.Audit.Entries, a => a.Chain == result.RollbackId && a.Action == "quarantine.added");
    }

    [Fact]
    public async Task Rollback_NothingReverted_QuarantinesNothing()
    {
        harness.QuarantineFor = TimeSpan.FromDays(7);

        await harness.RunAsync([Step("rollout", mode: RevertMode.Manual)]); // work for a human: nothing reverted

        Assert.Empty(await harness.Quarantine.ListAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Rollback_QuarantineOff_QuarantinesNothing()
    {
        harness.QuarantineFor = TimeSpan.Zero;

        await harness.RunAsync([Step("rollout")]);

        Assert.Empty(await harness.Quarantine.ListAsync(CancellationToken.None));
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => harness.DisposeAsync().AsTask();
}
