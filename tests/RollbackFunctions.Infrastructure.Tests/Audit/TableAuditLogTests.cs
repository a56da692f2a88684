using Azure.Data.Tables;
using RollbackFunctions.Core.Audit;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Infrastructure.Audit;
using RollbackFunctions.Infrastructure.Storage;

namespace RollbackFunctions.Infrastructure.Tests.Audit;

public sealed class TableAuditLogTests
{
    private const string Secret = "R0UT1NGKEY0123456789ABCDEFGHIJKL";

    [SkippableFact]
    public async Task Append_ConcurrentWriters_FormOneVerifiedChain()
    {
        var (log, _) = await CreateAsync();

        await Task.WhenAll(Enumerable.Range(0, 20).Select(i =>
            log.AppendAsync(new AuditEntry(Identifiers.RollbackIdFor("1"), "system", "step.finished", new { step = i }, "reverted", $"step {i}"), default)));
        var trail = await log.ReadAsync(Identifiers.RollbackIdFor("1"), default);

        Assert.True(trail.Verified, trail.Problem);
        Assert.Equal(Enumerable.Range(1, 20).Select(i => (long)i), trail.Rows.Select(r => r.Sequence));
        Assert.Equal(20, trail.Rows.Select(r => r.Detail).Distinct().Count());
    }

    [SkippableFact]
    public async Task Read_RowAltered_IsDetectedAndNamed()
    {
        var (log, tables) = await CreateAsync();
        for (var i = 0; i < 3; i++)
        {
            await log.AppendAsync(new AuditEntry(Identifiers.RollbackIdFor("1"), "system", "step.finished", null, "reverted", $"step {i}"), default);
        }

        var row = (await tables.Audit.GetEntityAsync<TableEntity>(Identifiers.RollbackIdFor("1"), "000000000002")).Value;
        row["Outcome"] = "failed";
        await tables.Audit.UpdateEntityAsync(row, row.ETag, TableUpdateMode.Replace);
        var trail = await log.ReadAsync(Identifiers.RollbackIdFor("1"), default);

        Assert.False(trail.Verified);
        Assert.Contains("row 2", trail.Problem);
    }

    [SkippableFact]
    public async Task Read_LastRowDeleted_IsDetected()
    {
        var (log, tables) = await CreateAsync();
        for (var i = 0; i < 3; i++)
        {
            await log.AppendAsync(new AuditEntry(Identifiers.RollbackIdFor("1"), "system", "step.finished", null, "reverted", $"step {i}"), default);
        }

        await tables.Audit.DeleteEntityAsync(Identifiers.RollbackIdFor("1"), "000000000003");

        Assert.False((await log.ReadAsync(Identifiers.RollbackIdFor("1"), default)).Verified);
    }

    [SkippableFact]
    public async Task Append_SecretsInDetailOrInputs_AreRedacted()
    {
        var (log, _) = await CreateAsync();

        var row = await log.AppendAsync(new AuditEntry(Identifiers.RollbackIdFor("1"), "system", "page.sent", new { routing_key = "abc", url = $"https://x/{Secret}" }, "failed", $"PagerDuty refused key {Secret}"), default);
        var withoutSecret = await log.AppendAsync(new AuditEntry(Identifiers.RollbackIdFor("2"), "system", "page.sent", new { routing_key = "other", url = "https://x/***" }, "failed", "x"), default);

        Assert.DoesNotContain(Secret, row.Detail);
        Assert.Contains("***", row.Detail);
        Assert.Equal(withoutSecret.InputsDigest, row.InputsDigest); // inputs were digested after redaction
    }

    private static async Task<(TableAuditLog Log, StorageTables Tables)> CreateAsync()
    {
        var tables = await StorageFixture.CreateTablesAsync();
        return (new TableAuditLog(tables, new SecretRedactor([Secret]), TimeProvider.System), tables);
    }
}
