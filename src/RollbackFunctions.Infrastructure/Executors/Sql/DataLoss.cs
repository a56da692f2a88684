using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace RollbackFunctions.Infrastructure.Executors.Sql;

/// <summary>One way a down migration lost data, before it is measured.</summary>
/// <param name="What">"drops table", "drops column", ...</param>
/// <param name="Target">The quoted name of what it happened to.</param>
/// <param name="CountSql">Counts, on the state before the migration, the rows or values lost; null when the count is known (<paramref name="Rows"/>) or there is none.</param>
/// <param name="Rows">Rows the migration deleted or updated itself, from the row counters.</param>
public sealed record LossItem(string What, string Target, string? CountSql, long? Rows = null);

/// <summary>
/// The data a down migration loses, judged by comparing <see cref="CatalogSnapshot"/>s taken
/// before and after it ran in its transaction (SAFETY.md 3): dropped tables and materialized
/// views, truncated or rewritten ones (a new <c>relfilenode</c>), dropped and retyped columns,
/// dropped schemas, types and extensions, rows deleted or updated. Indexes, views, functions,
/// constraints, defaults and new objects lose no data. <see cref="Summary"/> is what an operator
/// approves; its SHA-256 is the digest the approval names.
/// </summary>
public sealed record DataLoss(IReadOnlyList<LossItem> Items, IReadOnlyList<string> Lines)
{
    public bool Any => Items.Count > 0;

    public string Summary => string.Join("; ", Lines);

    public string Digest => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', Lines))));

    /// <summary>What was lost between <paramref name="before"/> and <paramref name="after"/>, not yet measured.</summary>
    public static IReadOnlyList<LossItem> Between(CatalogSnapshot before, CatalogSnapshot after)
    {
        var items = new List<LossItem>();
        foreach (var relation in before.Relations.Values.OrderBy(r => r.Name, StringComparer.Ordinal))
        {
            var noun = relation.Kind == "m" ? "materialized view" : "table";
            if (!after.Relations.TryGetValue(relation.Oid, out var now))
            {
                items.Add(new LossItem($"drops {noun}", relation.Name, $"SELECT count(*) FROM {relation.Name}"));
            }
            else if (now.FileNode != relation.FileNode && relation.Kind != "p")
            {
                items.Add(new LossItem($"truncates or rewrites {noun}", relation.Name, $"SELECT count(*) FROM {relation.Name}"));
            }
        }

        foreach (var column in before.Columns.Values.Where(c => after.Relations.ContainsKey(c.Relation)).OrderBy(c => (before.Relations[c.Relation].Name, c.Number)))
        {
            var table = before.Relations[column.Relation].Name;
            if (!after.Columns.TryGetValue((column.Relation, column.Number), out var now))
            {
                items.Add(new LossItem("drops column", $"{table}.{column.Name}", $"SELECT count({column.Name}) FROM {table}"));
            }
            else if (now.Type != column.Type)
            {
                items.Add(new LossItem($"changes the type ({column.Type} to {now.Type}) of column", $"{table}.{column.Name}", $"SELECT count({column.Name}) FROM {table}"));
            }
        }

        Dropped(items, "schema", before.Schemas, after.Schemas);
        Dropped(items, "type", before.Types, after.Types);
        Dropped(items, "extension", before.Extensions, after.Extensions);
        foreach (var (relation, writes) in after.Writes.Where(w => after.Relations.ContainsKey(w.Key)).OrderBy(w => after.Relations[w.Key].Name, StringComparer.Ordinal))
        {
            var earlier = before.Writes.GetValueOrDefault(relation) ?? new RowWrites(0, 0);
            var name = after.Relations[relation].Name;
            if (writes.Deleted > earlier.Deleted)
            {
                items.Add(new LossItem("deletes rows from", name, null, writes.Deleted - earlier.Deleted));
            }

            if (writes.Updated > earlier.Updated)
            {
                items.Add(new LossItem("updates rows of", name, null, writes.Updated - earlier.Updated));
            }
        }

        return items;
    }

    /// <summary>Counts what each item loses on the state before the migration (after ROLLBACK TO SAVEPOINT).</summary>
    public static async Task<DataLoss> MeasureAsync(IReadOnlyList<LossItem> items, NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        var lines = new List<string>();
        foreach (var item in items)
        {
            long? count = item.Rows;
            if (item.CountSql is { } sql)
            {
                await using var command = new NpgsqlCommand(sql, connection, transaction);
                count = Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
            }

            lines.Add(Line(item, count));
        }

        return new DataLoss(items, lines);
    }

    private static string Line(LossItem item, long? count) => (item.What, count) switch
    {
        (_, null) => $"{item.What} {item.Target}",
        ("deletes rows from" or "updates rows of", _) => $"{item.What.Replace("rows", N(count.Value) + " row(s)", StringComparison.Ordinal)} {item.Target}",
        _ when item.What.EndsWith("column", StringComparison.Ordinal) => $"{item.What} {item.Target} ({N(count.Value)} rows have a value)",
        _ => $"{item.What} {item.Target} ({N(count.Value)} rows)",
    };

    private static string N(long count) => count.ToString("N0", CultureInfo.InvariantCulture);

    private static void Dropped(List<LossItem> items, string noun, IReadOnlyDictionary<long, string> before, IReadOnlyDictionary<long, string> after) =>
        items.AddRange(before.Where(b => !after.ContainsKey(b.Key)).OrderBy(b => b.Value, StringComparer.Ordinal).Select(b => new LossItem($"drops {noun}", b.Value, null)));
}
