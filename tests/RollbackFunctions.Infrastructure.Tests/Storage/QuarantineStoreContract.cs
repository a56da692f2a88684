using RollbackFunctions.Core.Ports;
using RollbackFunctions.Core.Quarantine;
using RollbackFunctions.Infrastructure.Storage;

namespace RollbackFunctions.Infrastructure.Tests.Storage;

/// <summary>What every <see cref="IQuarantineStore"/> must do; run against the Table store on Azurite and the in-memory store.</summary>
public abstract class QuarantineStoreContract
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly QuarantineSubject Version = new("version", "1.4.2/rc#1?");

    protected abstract Task<IQuarantineStore> CreateStoreAsync();

    [SkippableFact]
    public async Task Find_ReturnsOnlyThatServiceAndEnvironment_WhateverTheVersionHolds()
    {
        var store = await CreateStoreAsync();
        await store.AddAsync(Entry("rb-1"), default);
        await store.AddAsync(Entry("rb-2") with { Environment = "staging" }, default);
        await store.AddAsync(Entry("rb-3") with { Service = "payments" }, default);

        var found = await store.FindAsync("checkout", "prod", default);

        Assert.Equal(["rb-1"], found.Select(e => e.RollbackId));
        Assert.Equal(Version, found[0].Subject);
        Assert.Equal(3, (await store.ListAsync(default)).Count);
    }

    [SkippableFact]
    public async Task Add_RetriedByTheSameRollback_KeepsARelease_AnotherRollbackQuarantinesAgain()
    {
        var store = await CreateStoreAsync();
        await store.AddAsync(Entry("rb-1"), default);
        await store.UpdateAsync("checkout", "prod", Version, e => e with { Released = new QuarantineRelease("alice", "fixed", T0) }, default);

        await store.AddAsync(Entry("rb-1") with { QuarantinedAt = T0.AddMinutes(1) }, default);
        var afterRetry = Assert.Single(await store.FindAsync("checkout", "prod", default));
        await store.AddAsync(Entry("rb-2"), default);
        var afterNewRollback = Assert.Single(await store.FindAsync("checkout", "prod", default));

        Assert.NotNull(afterRetry.Released);
        Assert.Equal("rb-2", afterNewRollback.RollbackId);
        Assert.Null(afterNewRollback.Released);
    }

    [SkippableFact]
    public async Task Update_Missing_ReturnsNull()
    {
        var store = await CreateStoreAsync();

        Assert.Null(await store.UpdateAsync("checkout", "prod", Version, e => e, default));
    }

    private static QuarantineEntry Entry(string rollbackId) =>
        new("checkout", "prod", Version, rollbackId, $"d-{rollbackId}", T0, T0.AddDays(7));
}

public sealed class TableQuarantineStoreTests : QuarantineStoreContract
{
    protected override async Task<IQuarantineStore> CreateStoreAsync() => new TableQuarantineStore(await StorageFixture.CreateTablesAsync());
}

public sealed class InMemoryQuarantineStoreTests : QuarantineStoreContract
{
    protected override Task<IQuarantineStore> CreateStoreAsync() => Task.FromResult<IQuarantineStore>(new InMemoryQuarantineStore());
}
