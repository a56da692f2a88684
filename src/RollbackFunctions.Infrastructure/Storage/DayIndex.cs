using System.Globalization;
using Azure.Data.Tables;

namespace RollbackFunctions.Infrastructure.Storage;

/// <summary>
/// Rows that find records by the UTC day something happened to them (a deploy's registration, a
/// rollback's claim), one partition per day: a query over a period reads one partition per day of
/// it, so its cost follows what happened in the period, never how much is stored. The partitions
/// live beside the records' own, under a prefix no record key can take (<c>|</c> is not allowed in
/// deploy or rollback ids).
/// </summary>
internal static class DayIndex
{
    /// <summary>How many point reads run at once when the indexed records are read.</summary>
    public const int ReadsInParallel = 16;

    public static string Partition(string prefix, DateTimeOffset at) =>
        $"{prefix}|{at.UtcDateTime.ToString("yyyyMMdd", CultureInfo.InvariantCulture)}";

    /// <summary>Sorts by time within the day: ticks, then the id that makes the row unique.</summary>
    public static string Row(DateTimeOffset at, string id) => $"{at.UtcTicks:D19}-{id}";

    /// <summary>The filter over one day's partition for the moments in [from, to], newest day first.</summary>
    public static IEnumerable<string> Filters(string prefix, DateTimeOffset from, DateTimeOffset to)
    {
        for (var day = to.UtcDateTime.Date; day >= from.UtcDateTime.Date; day = day.AddDays(-1))
        {
            var partition = Partition(prefix, new DateTimeOffset(day, TimeSpan.Zero));
            yield return TableClient.CreateQueryFilter($"PartitionKey eq {partition} and RowKey ge {$"{from.UtcTicks:D19}-"} and RowKey lt {$"{to.UtcTicks + 1:D19}-"}");
        }
    }

    /// <summary>Reads the indexed ids of every day of the period, newest first, at most <paramref name="max"/>.</summary>
    public static async Task<IReadOnlyList<string>> IdsAsync(TableClient table, string prefix, DateTimeOffset from, DateTimeOffset to, string? extraFilter, int max, CancellationToken cancellationToken)
    {
        var ids = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var filter in Filters(prefix, from, to))
        {
            var day = new List<(string Row, string Id)>();
            await foreach (var row in table.QueryAsync<TableEntity>(extraFilter is null ? filter : $"{filter} and {extraFilter}", select: ["RowKey", "Id"], cancellationToken: cancellationToken))
            {
                day.Add((row.RowKey, row.GetString("Id")));
            }

            ids.AddRange(day.OrderByDescending(r => r.Row, StringComparer.Ordinal).Select(r => r.Id).Where(seen.Add));
            if (ids.Count >= max)
            {
                return ids.Take(max).ToList();
            }
        }

        return ids;
    }

    /// <summary>Point reads of <paramref name="ids"/>, a few at a time; ids whose record is gone are left out.</summary>
    public static async Task<IReadOnlyList<T>> ReadAsync<T>(IReadOnlyList<string> ids, Func<string, CancellationToken, Task<T?>> read, CancellationToken cancellationToken)
        where T : class
    {
        var found = new T?[ids.Count];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, ids.Count),
            new ParallelOptions { MaxDegreeOfParallelism = ReadsInParallel, CancellationToken = cancellationToken },
            async (i, ct) => found[i] = await read(ids[i], ct));
        return found.OfType<T>().ToList();
    }
}
