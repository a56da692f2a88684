using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Rollbacks;
using RollbackFunctions.Infrastructure.Storage;

namespace RollbackFunctions.Integration.Tests.Storage;

public sealed class RollbackClaimTests
{
    [SkippableFact]
    public async Task TryClaim_FiftyConcurrentDuplicates_ExactlyOneWins()
    {
        var store = new TableRollbackStore(await StorageFixture.CreateTablesAsync());
        using var start = new ManualResetEventSlim();

        var claims = Enumerable.Range(0, 50)
            .Select(i => Task.Run(async () =>
            {
                start.Wait();
                return await store.TryClaimAsync(Head($"alert-{i}"), default);
            }))
            .ToList();
        start.Set();
        var results = await Task.WhenAll(claims);

        Assert.Equal(1, results.Count(won => won));
        Assert.NotNull(await store.GetAsync("rb-d1", default));
    }

    [SkippableFact]
    public async Task TryTakeOverStaleClaim_ManyCallers_OneWinsAndOnlyWhenStale()
    {
        var store = new TableRollbackStore(await StorageFixture.CreateTablesAsync());
        var claimedAt = DateTimeOffset.UtcNow.AddMinutes(-5);
        await store.TryClaimAsync(Head("crashed claimer") with { ClaimedAt = claimedAt }, default);

        Assert.False(await store.TryTakeOverStaleClaimAsync("rb-d1", claimedAt, DateTimeOffset.UtcNow, default)); // not older than the cut-off
        var takeOvers = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ =>
            store.TryTakeOverStaleClaimAsync("rb-d1", DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow, default)));

        Assert.Equal(1, takeOvers.Count(won => won));
    }

    [SkippableFact]
    public async Task TryTakeOverStaleClaim_AlreadyScheduled_NeverTakesOver()
    {
        var store = new TableRollbackStore(await StorageFixture.CreateTablesAsync());
        await store.TryClaimAsync(Head("claimer") with { ClaimedAt = DateTimeOffset.UtcNow.AddMinutes(-5) }, default);
        await store.MarkScheduledAsync("rb-d1", DateTimeOffset.UtcNow, default);

        Assert.False(await store.TryTakeOverStaleClaimAsync("rb-d1", DateTimeOffset.UtcNow, DateTimeOffset.UtcNow, default));
    }

    [SkippableFact]
    public async Task Steps_PutAndList_InPlanOrderWithUnplannedLast()
    {
        var store = new TableRollbackStore(await StorageFixture.CreateTablesAsync());
        await store.TryClaimAsync(Head("x"), default);
        await store.PutStepAsync("rb-d1", Step("schema", 1), default);
        await store.PutStepAsync("rb-d1", Step("never", -1), default);
        await store.PutStepAsync("rb-d1", Step("rollout", 0), default);

        var steps = await store.GetStepsAsync("rb-d1", default);

        Assert.Equal(["rollout", "schema", "never"], steps.Select(s => s.StepId));
    }

    [SkippableFact]
    public async Task SetPhase_Terminal_SetsCompletionAndSummary()
    {
        var store = new TableRollbackStore(await StorageFixture.CreateTablesAsync());
        await store.TryClaimAsync(Head("x"), default);

        await store.SetPhaseAsync("rb-d1", RollbackPhase.Failed, "rollback incomplete", DateTimeOffset.UtcNow, default);

        var head = await store.GetAsync("rb-d1", default);
        Assert.Equal(RollbackPhase.Failed, head!.Phase);
        Assert.NotNull(head.CompletedAt);
        Assert.Equal("rollback incomplete", head.Summary);
    }

    private static RollbackStepRecord Step(string id, int level) => new(id, "webhook", level, StepStatus.Pending, 0, null, null, "planned");

    private static RollbackRecord Head(string reason) => new()
    {
        RollbackId = "rb-d1",
        DeployId = "d1",
        Phase = RollbackPhase.Halting,
        Trigger = new RollbackTrigger("alert", "system", reason, []),
        ClaimedAt = DateTimeOffset.UtcNow,
    };
}
