using Azure;
using Azure.Data.Tables;
using RollbackFunctions.Core.Ports;
using RollbackFunctions.Core.Rollbacks;
using RollbackFunctions.Core.Verification;

namespace RollbackFunctions.Infrastructure.Storage;

/// <summary>
/// Rollbacks in Table storage: one partition per rollback, a head row and one row per step, so
/// parallel reverts never contend for the same entity.
/// </summary>
public sealed class TableRollbackStore(StorageTables tables) : IRollbackStore
{
    private const string HeadRow = "rollback";
    private const string StepRowPrefix = "step|";
    private const string SampleRowPrefix = "sample|";

    /// <summary>The partitions of the index by claim day (<see cref="DayIndex"/>); a rollback id never holds '|'.</summary>
    private const string ClaimedDay = "claimed";

    private readonly TableDocuments<RollbackRecord> heads = new(tables.Rollbacks, StorageJson.Options, (entity, head) =>
    {
        entity["DeployId"] = head.DeployId;
        entity["Phase"] = head.Phase.ToString();
        entity["ClaimedAt"] = head.ClaimedAt;
    });

    private readonly TableDocuments<RollbackStepRecord> steps = new(tables.Rollbacks, StorageJson.Options, (entity, step) =>
    {
        entity["Level"] = step.Level;
        entity["Status"] = step.Status.ToString();
    });

    private readonly TableDocuments<VerificationSample> samples = new(tables.Rollbacks, StorageJson.Options, (entity, sample) =>
        entity["Verdict"] = sample.Verdict.ToString());

    public async Task<bool> TryClaimAsync(RollbackRecord record, CancellationToken cancellationToken)
    {
        // The index row is written beside the claim, not before it: it is on the path from alert to
        // first revert. Racing claimers write the same row. A crash leaves a row without a head
        // (skipped when read) or, rarely, a claim without its row (the figures miss it). A failed
        // index write after a made claim is tried once more rather than failing the claimer, whose
        // rollback would otherwise wait for the lost-claim sweep.
        var indexed = IndexClaimAsync(record, cancellationToken);
        bool claimed;
        try
        {
            claimed = await heads.TryAddAsync(record.RollbackId, HeadRow, record, cancellationToken);
        }
        catch
        {
            await indexed.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            throw;
        }

        try
        {
            await indexed;
        }
        catch (RequestFailedException) when (claimed)
        {
            await IndexClaimAsync(record, cancellationToken);
        }
        catch (RequestFailedException)
        {
            // Not ours: the claimer that won writes the same row.
        }

        return claimed;
    }

    private Task IndexClaimAsync(RollbackRecord record, CancellationToken cancellationToken) =>
        tables.Rollbacks.UpsertEntityAsync(
            new TableEntity(DayIndex.Partition(ClaimedDay, record.ClaimedAt), DayIndex.Row(record.ClaimedAt, record.RollbackId)) { ["Id"] = record.RollbackId },
            TableUpdateMode.Replace,
            cancellationToken);

    public Task CountPageAsync(string rollbackId, CancellationToken cancellationToken) =>
        heads.UpdateAsync(rollbackId, HeadRow, head => head with { PagesSent = head.PagesSent + 1 }, cancellationToken);

    public Task SetBudgetSpentAsync(string rollbackId, double spent, CancellationToken cancellationToken) =>
        heads.UpdateAsync(rollbackId, HeadRow, head => head.BudgetSpent == spent ? null : head with { BudgetSpent = spent }, cancellationToken);

    public async Task<IReadOnlyList<RollbackRecord>> ListClaimedAsync(DateTimeOffset from, DateTimeOffset to, int max, CancellationToken cancellationToken)
    {
        var ids = await DayIndex.IdsAsync(tables.Rollbacks, ClaimedDay, from, to, null, max, cancellationToken);
        var found = await DayIndex.ReadAsync(ids, GetAsync, cancellationToken);
        return found.Where(h => h.FirstClaimedAt() >= from && h.FirstClaimedAt() <= to).OrderByDescending(h => h.FirstClaimedAt()).ToList();
    }

    public async Task<bool> TryTakeOverStaleClaimAsync(string rollbackId, DateTimeOffset claimedBefore, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (await heads.GetAsync(rollbackId, HeadRow, cancellationToken) is not var (head, etag)
            || head.ScheduledAt is not null
            || head.ClaimedAt >= claimedBefore)
        {
            return false;
        }

        // The ETag makes the take-over itself a claim: of many callers, one replaces the row.
        return await heads.TryReplaceAsync(rollbackId, HeadRow, head with { ClaimedAt = now }, etag, cancellationToken);
    }

    public async Task<bool> TryMarkRestartedAsync(string rollbackId, int restartsSeen, DateTimeOffset at, CancellationToken cancellationToken)
    {
        if (await heads.GetAsync(rollbackId, HeadRow, cancellationToken) is not var (head, etag)
            || head.Phase.IsTerminal()
            || head.Restarts != restartsSeen)
        {
            return false;
        }

        return await heads.TryReplaceAsync(rollbackId, HeadRow, head with { Restarts = restartsSeen + 1, ScheduledAt = at }, etag, cancellationToken);
    }

    public async Task<RollbackRecord?> GetAsync(string rollbackId, CancellationToken cancellationToken) =>
        (await heads.GetAsync(rollbackId, HeadRow, cancellationToken))?.Document;

    public Task MarkScheduledAsync(string rollbackId, DateTimeOffset at, CancellationToken cancellationToken) =>
        heads.UpdateAsync(rollbackId, HeadRow, head => head.ScheduledAt is null ? head with { ScheduledAt = at } : null, cancellationToken);

    public Task SetPhaseAsync(string rollbackId, RollbackPhase phase, string? summary, DateTimeOffset at, CancellationToken cancellationToken, RollbackPhase? onlyFrom = null) =>
        heads.UpdateAsync(rollbackId, HeadRow, head => head.MovedTo(phase, summary, at, onlyFrom), cancellationToken);

    public Task PutStepAsync(string rollbackId, RollbackStepRecord step, CancellationToken cancellationToken) =>
        steps.PutAsync(rollbackId, StepRowPrefix + step.StepId, step, cancellationToken);

    public async Task<RollbackStepRecord?> GetStepAsync(string rollbackId, string stepId, CancellationToken cancellationToken) =>
        (await steps.GetAsync(rollbackId, StepRowPrefix + stepId, cancellationToken))?.Document;

    public async Task<IReadOnlyList<RollbackStepRecord>> GetStepsAsync(string rollbackId, CancellationToken cancellationToken)
    {
        var rows = await steps.QueryAsync(RowsStartingWith(rollbackId, StepRowPrefix), cancellationToken);
        return rows.OrderBy(s => s.Level < 0 ? int.MaxValue : s.Level).ThenBy(s => s.StepId, StringComparer.Ordinal).ToList();
    }

    public Task AddSampleAsync(string rollbackId, VerificationSample sample, CancellationToken cancellationToken) =>
        samples.PutAsync(rollbackId, $"{SampleRowPrefix}{sample.At.UtcTicks:D19}", sample, cancellationToken);

    public Task<IReadOnlyList<VerificationSample>> GetSamplesAsync(string rollbackId, CancellationToken cancellationToken) =>
        samples.QueryAsync(RowsStartingWith(rollbackId, SampleRowPrefix), cancellationToken);

    public async Task<IReadOnlyList<RollbackRecord>> ListAsync(bool activeOnly, CancellationToken cancellationToken)
    {
        var filter = TableClient.CreateQueryFilter($"RowKey eq {HeadRow}");
        if (activeOnly)
        {
            filter = string.Join(" and ", RollbackPhaseRules.Terminal.Select(p => TableClient.CreateQueryFilter($"Phase ne {p.ToString()}")).Prepend(filter));
        }

        var found = await heads.QueryAsync(filter, cancellationToken);
        return found.OrderByDescending(h => h.ClaimedAt).ToList();
    }

    /// <summary>Rows of one partition whose key starts with a prefix ending in '|' ('}' sorts right after '|').</summary>
    private static string RowsStartingWith(string rollbackId, string prefix) =>
        TableClient.CreateQueryFilter($"PartitionKey eq {rollbackId} and RowKey ge {prefix} and RowKey lt {prefix[..^1] + "}"}");
}
