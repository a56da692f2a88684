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

    /// <summary>
    /// Issue 21: the steps of one revert level append to the rollback's chain at the same moment;
    /// each in its own transaction, all but one lost the race for the head and tried again (20
    /// writers: 20 transactions at the very least, most of them many more). Appends made together
    /// in one process are written together.
    /// </summary>
    [SkippableFact]
    public async Task Append_ConcurrentWritersInOneProcess_ShareTransactions()
    {
        var transactions = new Storage.CountRequests(request => request.Uri.Path.EndsWith("$batch", StringComparison.Ordinal));
        var log = Log(await StorageFixture.CreateTablesAsync(transactions), new AuditOptions());

        await Task.WhenAll(Enumerable.Range(0, 20).Select(i =>
            log.AppendAsync(new AuditEntry(Identifiers.RollbackIdFor("1"), "system", "step.finished", new { step = i }, "reverted", $"step {i}"), default)));
        var trail = await log.ReadAsync(Identifiers.RollbackIdFor("1"), default);

        Assert.True(trail.Verified, trail.Problem);
        Assert.Equal(20, trail.Rows.Count);
        Assert.InRange(transactions.Count, 1, 19);
    }

    /// <summary>
    /// Issue 21: each append read the chain's head first, a round trip before every step's start and
    /// finish. Appends in turn in one process link to the head the last one left (one read for the first).
    /// </summary>
    [SkippableFact]
    public async Task Append_InTurnInOneProcess_ReadsTheHeadOnce()
    {
        var headReads = new Storage.CountRequests(request => request.Method == Azure.Core.RequestMethod.Get && request.Uri.ToString().Contains("head", StringComparison.Ordinal));
        var log = Log(await StorageFixture.CreateTablesAsync(headReads), new AuditOptions());

        for (var i = 0; i < 3; i++)
        {
            await log.AppendAsync(new AuditEntry(Identifiers.RollbackIdFor("1"), "system", "step.finished", null, "reverted", $"step {i}"), default);
        }

        var trail = await log.ReadAsync(Identifiers.RollbackIdFor("1"), default);
        Assert.True(trail.Verified, trail.Problem);
        Assert.Equal(3, trail.Rows.Count);
        Assert.Equal(1, headReads.Count);
    }

    /// <summary>
    /// The head a process remembers is stale once another process appended: its next append fails on
    /// the head's ETag, reads the head again and links after the other's rows. One chain, nothing lost.
    /// </summary>
    [SkippableFact]
    public async Task Append_AfterAnotherProcessAppended_LinksAfterItsRows()
    {
        var tables = await StorageFixture.CreateTablesAsync();
        var (first, second) = (Log(tables, new AuditOptions()), Log(tables, new AuditOptions()));

        await first.AppendAsync(new AuditEntry(Identifiers.RollbackIdFor("1"), "system", "step.started", null, "started", "first, 1"), default);
        await second.AppendAsync(new AuditEntry(Identifiers.RollbackIdFor("1"), "system", "step.started", null, "started", "second"), default);
        await first.AppendAsync(new AuditEntry(Identifiers.RollbackIdFor("1"), "system", "step.finished", null, "reverted", "first, 2"), default);
        var trail = await first.ReadAsync(Identifiers.RollbackIdFor("1"), default);

        Assert.True(trail.Verified, trail.Problem);
        Assert.Equal(["first, 1", "second", "first, 2"], trail.Rows.Select(r => r.Detail));
    }

    /// <summary>An append that landed but whose reply was lost is retried by the client and meets 409: it is not appended again.</summary>
    [SkippableFact]
    public async Task Append_WhoseReplyWasLost_IsInTheChainOnce()
    {
        var lostReply = new LoseFirstReply(request => request.Uri.Path.EndsWith("$batch", StringComparison.Ordinal));
        var tables = await StorageFixture.CreateTablesAsync(lostReply);
        var log = Log(tables, new AuditOptions());

        await log.AppendAsync(new AuditEntry(Identifiers.RollbackIdFor("1"), "system", "rollback.claimed", null, "claimed", "first"), default);
        await log.AppendAsync(new AuditEntry(Identifiers.RollbackIdFor("1"), "system", "step.finished", null, "reverted", "second"), default);
        var trail = await log.ReadAsync(Identifiers.RollbackIdFor("1"), default);

        Assert.Equal(1, lostReply.Lost);
        Assert.True(trail.Verified, trail.Problem);
        Assert.Equal(["first", "second"], trail.Rows.Select(r => r.Detail));
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

    /// <summary>
    /// Issue 9, finding 15: with table write access and the published hash formula, anyone could
    /// rewrite a row and re-link everything after it. With a key, the forger cannot.
    /// </summary>
    [SkippableFact]
    public async Task Read_RowRewrittenAndRelinkedWithoutTheKey_IsDetected()
    {
        var (log, tables) = await CreateAsync(keyed: true);
        var chain = Identifiers.RollbackIdFor("forged");
        for (var i = 0; i < 3; i++)
        {
            await log.AppendAsync(new AuditEntry(chain, "system", "approval.decided", null, "rejected", $"step {i}"), default);
        }

        // The forger recomputes every hash from row 2 on with plain SHA-256, the formula an unkeyed chain uses.
        var previous = (await tables.Audit.GetEntityAsync<TableEntity>(chain, "000000000001")).Value.GetString("Hash");
        for (var sequence = 2; sequence <= 3; sequence++)
        {
            var row = (await tables.Audit.GetEntityAsync<TableEntity>(chain, sequence.ToString("D12", System.Globalization.CultureInfo.InvariantCulture))).Value;
            row["Outcome"] = "approved";
            row["PreviousHash"] = previous;
            var content = string.Join('\n', previous, sequence.ToString(System.Globalization.CultureInfo.InvariantCulture), row.GetString("At"), row.GetString("Actor"), row.GetString("Action"), row.GetString("InputsDigest"), row.GetString("Outcome"), row.GetString("Detail"));
            row["Hash"] = previous = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(content)));
            await tables.Audit.UpdateEntityAsync(row, row.ETag, TableUpdateMode.Replace);
        }

        var head = (await tables.Audit.GetEntityAsync<TableEntity>(chain, "~head")).Value;
        head["Hash"] = previous;
        await tables.Audit.UpdateEntityAsync(head, head.ETag, TableUpdateMode.Replace);
        var trail = await log.ReadAsync(chain, default);

        Assert.False(trail.Verified);
        Assert.Contains("row 2", trail.Problem);
    }

    /// <summary>Issue 9, finding 15: dropping the last row and pointing the head at the one before went unnoticed.</summary>
    [SkippableFact]
    public async Task Read_TailCutAndHeadMovedBack_IsDetected()
    {
        var (log, tables) = await CreateAsync(keyed: true);
        var chain = Identifiers.RollbackIdFor("cut");
        for (var i = 0; i < 3; i++)
        {
            await log.AppendAsync(new AuditEntry(chain, "system", "step.finished", null, "reverted", $"step {i}"), default);
        }

        var second = (await tables.Audit.GetEntityAsync<TableEntity>(chain, "000000000002")).Value;
        await tables.Audit.DeleteEntityAsync(chain, "000000000003");
        var head = (await tables.Audit.GetEntityAsync<TableEntity>(chain, "~head")).Value;
        head["Sequence"] = 2L;
        head["Hash"] = second.GetString("Hash");
        await tables.Audit.UpdateEntityAsync(head, head.ETag, TableUpdateMode.Replace);
        var trail = await log.ReadAsync(chain, default);

        Assert.False(trail.Verified);
        Assert.Contains("head", trail.Problem);
    }

    [SkippableFact]
    public async Task Read_KeyedChain_VerifiesAndSaysItIsKeyed_RotatedKeysStillVerify()
    {
        var tables = await StorageFixture.CreateTablesAsync();
        var chain = Identifiers.RollbackIdFor("rotated");
        var old = Log(tables, new AuditOptions { CurrentKey = "k1", Keys = { ["k1"] = AuditKey } });
        var rotated = Log(tables, new AuditOptions { CurrentKey = "k2", Keys = { ["k1"] = AuditKey, ["k2"] = AuditKey.Replace('0', '9') } });

        await old.AppendAsync(new AuditEntry(chain, "system", "step.finished", null, "reverted", "before rotation"), default);
        await rotated.AppendAsync(new AuditEntry(chain, "system", "step.finished", null, "reverted", "after rotation"), default);
        var trail = await rotated.ReadAsync(chain, default);

        Assert.True(trail.Verified, trail.Problem);
        Assert.True(trail.Keyed);
        Assert.Equal(["k1", "k2"], trail.Rows.Select(r => r.KeyId));
        Assert.False((await Log(tables, new AuditOptions()).ReadAsync(chain, default)).Verified); // without the keys nothing can be proven
    }

    private const string AuditKey = "audit-0123456789abcdef0123456789abcdef";

    private static TableAuditLog Log(StorageTables tables, AuditOptions options) =>
        new(tables, new SecretRedactor([Secret]), TimeProvider.System, Microsoft.Extensions.Options.Options.Create(options));

    private static async Task<(TableAuditLog Log, StorageTables Tables)> CreateAsync(bool keyed = false)
    {
        var tables = await StorageFixture.CreateTablesAsync();
        var options = keyed ? new AuditOptions { CurrentKey = "k1", Keys = { ["k1"] = AuditKey } } : new AuditOptions();
        return (Log(tables, options), tables);
    }
}
