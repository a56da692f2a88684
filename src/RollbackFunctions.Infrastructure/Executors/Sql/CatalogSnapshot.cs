using Npgsql;

namespace RollbackFunctions.Infrastructure.Executors.Sql;

/// <summary>A table, partitioned table or materialized view: where rows live. Keyed by oid, so a dropped and re-created table is a drop.</summary>
public sealed record CatalogRelation(long Oid, string Name, string Kind, long FileNode);

/// <summary>A column of a <see cref="CatalogRelation"/>, keyed by its table and attribute number (a re-added column is a drop).</summary>
public sealed record CatalogColumn(long Relation, int Number, string Name, string Type);

/// <summary>Rows a transaction deleted and updated in one table, from <c>pg_stat_xact_user_tables</c>.</summary>
public sealed record RowWrites(long Updated, long Deleted);

/// <summary>
/// What holds data in a database, read inside the down migration's transaction (so it sees that
/// transaction's own changes): relations with their <c>relfilenode</c> (a new one means TRUNCATE or
/// a rewrite), columns with their types, schemas, user-defined types, extensions, and the rows the
/// transaction has written per table so far. Comparing the snapshot before and after the down
/// migration is how its effect is judged: whatever the SQL says (a DO block, dynamic SQL, a CTE),
/// the catalog and the row counters say what it did.
/// </summary>
public sealed record CatalogSnapshot(
    IReadOnlyDictionary<long, CatalogRelation> Relations,
    IReadOnlyDictionary<(long Relation, int Number), CatalogColumn> Columns,
    IReadOnlyDictionary<long, string> Schemas,
    IReadOnlyDictionary<long, string> Types,
    IReadOnlyDictionary<long, string> Extensions,
    IReadOnlyDictionary<long, RowWrites> Writes)
{
    /// <summary>The table recording reverted migrations: its own writes are not the migration's.</summary>
    public const string Bookkeeping = "rollback_functions_reverted_migrations";

    private const string UserNamespaces = "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'";

    public static async Task<CatalogSnapshot> ReadAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        var relations = await ReadAsync(connection, transaction, $"""
            SELECT c.oid::bigint, quote_ident(n.nspname) || '.' || quote_ident(c.relname), c.relkind::text, c.relfilenode::bigint
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p', 'm') AND {UserNamespaces} AND c.relname <> '{Bookkeeping}'
            """, r => new CatalogRelation(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetInt64(3)), cancellationToken);
        var columns = await ReadAsync(connection, transaction, $"""
            SELECT a.attrelid::bigint, a.attnum::int, quote_ident(a.attname), format_type(a.atttypid, a.atttypmod)
            FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'm') AND {UserNamespaces}
            """, r => new CatalogColumn(r.GetInt64(0), r.GetInt32(1), r.GetString(2), r.GetString(3)), cancellationToken);
        var schemas = await ReadAsync(connection, transaction, $"""
            SELECT n.oid::bigint, quote_ident(n.nspname) FROM pg_namespace n WHERE {UserNamespaces} AND n.nspname NOT LIKE 'pg\_%'
            """, r => (r.GetInt64(0), r.GetString(1)), cancellationToken);
        var types = await ReadAsync(connection, transaction, $"""
            SELECT t.oid::bigint, quote_ident(n.nspname) || '.' || quote_ident(t.typname)
            FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace LEFT JOIN pg_class c ON c.oid = t.typrelid
            WHERE t.typtype IN ('e', 'd', 'c', 'r') AND (t.typrelid = 0 OR c.relkind = 'c') AND {UserNamespaces}
            """, r => (r.GetInt64(0), r.GetString(1)), cancellationToken);
        var extensions = await ReadAsync(connection, transaction,
            "SELECT e.oid::bigint, quote_ident(e.extname) FROM pg_extension e WHERE e.extname <> 'plpgsql'",
            r => (r.GetInt64(0), r.GetString(1)), cancellationToken);
        var writes = await ReadAsync(connection, transaction, $"""
            SELECT relid::bigint, n_tup_upd, n_tup_del FROM pg_stat_xact_user_tables WHERE relname <> '{Bookkeeping}'
            """, r => (r.GetInt64(0), new RowWrites(r.GetInt64(1), r.GetInt64(2))), cancellationToken);
        return new CatalogSnapshot(
            relations.ToDictionary(r => r.Oid),
            columns.ToDictionary(c => (c.Relation, c.Number)),
            schemas.ToDictionary(s => s.Item1, s => s.Item2),
            types.ToDictionary(t => t.Item1, t => t.Item2),
            extensions.ToDictionary(e => e.Item1, e => e.Item2),
            writes.ToDictionary(w => w.Item1, w => w.Item2));
    }

    private static async Task<List<T>> ReadAsync<T>(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, Func<NpgsqlDataReader, T> row, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<T>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(row(reader));
        }

        return rows;
    }
}
