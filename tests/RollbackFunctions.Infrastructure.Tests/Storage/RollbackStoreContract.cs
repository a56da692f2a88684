using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Ports;
using RollbackFunctions.Core.Rollbacks;
using RollbackFunctions.Core.Verification;
using RollbackFunctions.Infrastructure.Storage;

namespace RollbackFunctions.Infrastructure.Tests.Storage;

/// <summary>
/// What every <see cref="IRollbackStore"/> must do: the exactly-once claim, stale-claim take-over,
/// phase moves and the lists. Run against the Table store on Azurite and the in-memory store.
/// </summary>
public abstract class RollbackStoreContract
{
    private static readonly string RollbackId = Identifiers.RollbackIdFor("d1");

    protected abstract Task<IRollbackStore> CreateStoreAsync();

    [SkippableFact]
    public async Task TryClaim_FiftyConcurrentDuplicates_ExactlyOneWins()
    {
        var store = await CreateStoreAsync();
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
        Assert.NotNull(await store.GetAsync(RollbackId, default));
    }

    [SkippableFact]
    public async Task TryTakeOverStaleClaim_ManyCallers_OneWinsAndOnlyWhenStale()
    {
        var store = await CreateStoreAsync();
        var claimedAt = DateTimeOffset.UtcNow.AddMinutes(-5);
        await store.TryClaimAsync(Head("crashed claimer") with { ClaimedAt = claimedAt }, default);

        Assert.False(await store.TryTakeOverStaleClaimAsync(RollbackId, claimedAt, DateTimeOffset.UtcNow, default)); // not older than the cut-off
        var takeOvers = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ =>
            store.TryTakeOverStaleClaimAsync(RollbackId, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow, default)));

        Assert.Equal(1, takeOvers.Count(won => won));
    }

    [SkippableFact]
    public async Task TryTakeOverStaleClaim_AlreadyScheduled_NeverTakesOver()
    {
        var store = await CreateStoreAsync();
        await store.TryClaimAsync(Head("claimer") with { ClaimedAt = DateTimeOffset.UtcNow.AddMinutes(-5) }, default);
        await store.MarkScheduledAsync(RollbackId, DateTimeOffset.UtcNow, default);

        Assert.False(await store.TryTakeOverStaleClaimAsync(RollbackId, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow, default));
    }

    [SkippableFact]
    public async Task TryMarkRestarted_ManySweepers_OneWinsPerRestartAndNeverOnceTerminal()
    {
        var store = await CreateStoreAsync();
        await store.TryClaimAsync(Head("claimer"), default);
        var at = DateTimeOffset.UtcNow;

        var restarts = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => store.TryMarkRestartedAsync(RollbackId, 0, at, default)));
        var stale = await store.TryMarkRestartedAsync(RollbackId, 0, at, default); // saw the count before the winner's write
        await store.SetPhaseAsync(RollbackId, RollbackPhase.Failed, "escalated", at, default);
        var afterTerminal = await store.TryMarkRestartedAsync(RollbackId, 1, at, default);

        Assert.Equal(1, restarts.Count(won => won));
        Assert.False(stale);
        Assert.False(afterTerminal);
        var head = await store.GetAsync(RollbackId, default);
        Assert.Equal(1, head!.Restarts);
        Assert.Equal(at, head.ScheduledAt);
    }

    [SkippableFact]
    public async Task Steps_PutAndList_InPlanOrderWithUnplannedLast()
    {
        var store = await CreateStoreAsync();
        await store.TryClaimAsync(Head("x"), default);
        await store.PutStepAsync(RollbackId, Step("schema", 1), default);
        await store.PutStepAsync(RollbackId, Step("never", -1), default);
        await store.PutStepAsync(RollbackId, Step("rollout", 0), default);

        var steps = await store.GetStepsAsync(RollbackId, default);

        Assert.Equal(["rollout", "schema", "never"], steps.Select(s => s.StepId));
    }

    [SkippableFact]
    public async Task SetPhase_Terminal_SetsCompletionAndSummary()
    {
        var store = await CreateStoreAsync();
        await store.TryClaimAsync(Head("x"), default);

        await store.SetPhaseAsync(RollbackId, RollbackPhase.Failed, "rollback incomplete", DateTimeOffset.UtcNow, default);

        var head = await store.GetAsync(RollbackId, default);
        Assert.Equal(RollbackPhase.Failed, head!.Phase);
        Assert.NotNull(head.CompletedAt);
        Assert.Equal("rollback incomplete", head.Summary);
    }

    [SkippableFact]
    public async Task SetPhase_OnlyFromAPhaseItHasLeft_ChangesNothing()
    {
        var store = await CreateStoreAsync();
        await store.TryClaimAsync(Head("x"), default);
        await store.SetPhaseAsync(RollbackId, RollbackPhase.Paging, null, DateTimeOffset.UtcNow, default);
        await store.SetPhaseAsync(RollbackId, RollbackPhase.AwaitingApproval, null, DateTimeOffset.UtcNow, default);

        await store.SetPhaseAsync(RollbackId, RollbackPhase.RollingBack, "late", DateTimeOffset.UtcNow, default, onlyFrom: RollbackPhase.Paging);

        var head = (await store.GetAsync(RollbackId, default))!;
        Assert.Equal(RollbackPhase.AwaitingApproval, head.Phase);
        Assert.DoesNotContain(head.Timeline, t => t.Phase == RollbackPhase.RollingBack);
    }

    [SkippableFact]
    public async Task SetPhase_AfterTerminal_ChangesNothing()
    {
        var store = await CreateStoreAsync();
        await store.TryClaimAsync(Head("x"), default);
        await store.SetPhaseAsync(RollbackId, RollbackPhase.Succeeded, "done", DateTimeOffset.UtcNow, default);

        await store.SetPhaseAsync(RollbackId, RollbackPhase.Failed, "late", DateTimeOffset.UtcNow, default);

        var head = await store.GetAsync(RollbackId, default);
        Assert.Equal((RollbackPhase.Succeeded, "done"), (head!.Phase, head.Summary));
        Assert.Equal([RollbackPhase.Succeeded], head.Timeline.Select(t => t.Phase));
    }

    [SkippableFact]
    public async Task MarkScheduled_SetsTheTimeOnce()
    {
        var store = await CreateStoreAsync();
        await store.TryClaimAsync(Head("x"), default);
        var first = DateTimeOffset.UtcNow;

        await store.MarkScheduledAsync(RollbackId, first, default);
        await store.MarkScheduledAsync(RollbackId, first.AddMinutes(1), default);

        Assert.Equal(first, (await store.GetAsync(RollbackId, default))!.ScheduledAt);
    }

    [SkippableFact]
    public async Task List_ActiveOnly_LeavesOutEndedRollbacks_NewestFirst()
    {
        var store = await CreateStoreAsync();
        var older = Head("a") with { RollbackId = "rb-a", DeployId = "a", ClaimedAt = DateTimeOffset.UtcNow.AddMinutes(-2) };
        var newer = Head("b") with { RollbackId = "rb-b", DeployId = "b", ClaimedAt = DateTimeOffset.UtcNow.AddMinutes(-1) };
        var ended = Head("c") with { RollbackId = "rb-c", DeployId = "c" };
        foreach (var head in new[] { older, newer, ended })
        {
            await store.TryClaimAsync(head, default);
        }

        await store.SetPhaseAsync("rb-c", RollbackPhase.Aborted, "stopped", DateTimeOffset.UtcNow, default);

        Assert.Equal(["rb-b", "rb-a"], (await store.ListAsync(activeOnly: true, default)).Select(h => h.RollbackId));
        Assert.Equal(["rb-c", "rb-b", "rb-a"], (await store.ListAsync(activeOnly: false, default)).Select(h => h.RollbackId));
    }

    [SkippableFact]
    public async Task Samples_ComeBackOldestFirst()
    {
        var store = await CreateStoreAsync();
        await store.TryClaimAsync(Head("x"), default);
        var t0 = DateTimeOffset.UtcNow;

        await store.AddSampleAsync(RollbackId, new VerificationSample(t0.AddSeconds(2), Verdict.Healthy, [], "second"), default);
        await store.AddSampleAsync(RollbackId, new VerificationSample(t0, Verdict.Unhealthy, [], "first"), default);

        Assert.Equal(["first", "second"], (await store.GetSamplesAsync(RollbackId, default)).Select(s => s.Summary));
    }

    private static RollbackStepRecord Step(string id, int level) => new(id, "webhook", level, StepStatus.Pending, 0, null, null, "planned");

    protected static RollbackRecord Head(string reason) => new()
    {
        RollbackId = RollbackId,
        DeployId = "d1",
        Phase = RollbackPhase.Halting,
        Trigger = new RollbackTrigger("alert", "system", reason, []),
        ClaimedAt = DateTimeOffset.UtcNow,
    };
}

public sealed class TableRollbackStoreTests : RollbackStoreContract
{
    protected override async Task<IRollbackStore> CreateStoreAsync() => new TableRollbackStore(await StorageFixture.CreateTablesAsync());

    /// <summary>
    /// A claim that landed but whose reply was lost is retried by the client and meets 409: it is
    /// still this caller's claim (else nobody would schedule the rollback until the stale-claim
    /// take-over, a minute of nothing); a later duplicate still loses.
    /// </summary>
    [SkippableFact]
    public async Task TryClaim_WhoseReplyWasLost_IsStillWon()
    {
        var lostReply = new LoseFirstReply(request => request.Method == Azure.Core.RequestMethod.Post && request.Uri.Path.Contains("Rollbacks", StringComparison.Ordinal));
        var store = new TableRollbackStore(await StorageFixture.CreateTablesAsync(lostReply));

        var claimed = await store.TryClaimAsync(Head("alert-1"), default);
        var duplicate = await store.TryClaimAsync(Head("alert-2"), default);

        Assert.Equal(1, lostReply.Lost);
        Assert.True(claimed);
        Assert.False(duplicate);
    }

    /// <summary>A take-over whose reply was lost meets 412 on the client's retry: it is still this caller's.</summary>
    [SkippableFact]
    public async Task TryTakeOverStaleClaim_WhoseReplyWasLost_IsStillWon()
    {
        var lostReply = new LoseFirstReply(request => request.Headers.TryGetValue("If-Match", out _));
        var store = new TableRollbackStore(await StorageFixture.CreateTablesAsync(lostReply));
        var claimedAt = DateTimeOffset.UtcNow.AddMinutes(-5);
        Assert.True(await store.TryClaimAsync(Head("alert-1") with { ClaimedAt = claimedAt }, default));

        var takenOver = await store.TryTakeOverStaleClaimAsync(Identifiers.RollbackIdFor("d1"), claimedAt.AddMinutes(1), DateTimeOffset.UtcNow, default);

        Assert.Equal(1, lostReply.Lost);
        Assert.True(takenOver);
    }
}

public sealed class InMemoryRollbackStoreTests : RollbackStoreContract
{
    protected override Task<IRollbackStore> CreateStoreAsync() => Task.FromResult<IRollbackStore>(new InMemoryRollbackStore());
}
