using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace RollbackFunctions.Infrastructure.Executors.Sql;

/// <summary>The <c>params</c> of a <c>sqlMigration</c> step, and where its down migration comes from.</summary>
public sealed partial class SqlMigrationExecutor
{
    private string? Read(JsonObject parameters, out Migration migration)
    {
        var p = new StepParams(parameters).OnlyKnown("database", "tool", "migration", "down", "irreversible");
        var database = p.Matching("database", DatabaseName(), "must be a configured database name", required: false);
        var tool = p.Matching("tool", DatabaseName(), "must be a configured migration tool name", required: false);
        var id = p.Matching("migration", MigrationId(), "must be 1-200 letters, digits, '.', '_' or '-'");
        var irreversible = p.Flag("irreversible");
        if ((database is null) == (tool is null))
        {
            p.Add("database", "or params.tool: exactly one is required (the down SQL runs against a database, or a configured tool runs it)");
        }

        var inline = p.Text("down", required: false);
        var configured = database is not null ? options.Value.Databases.GetValueOrDefault(database) : null;
        if (database is not null && configured is null)
        {
            p.Add("database", $"'{database}' is not a configured database; {Known(options.Value.Databases.Keys, "Databases")}");
        }

        if (tool is not null && !options.Value.Tools.ContainsKey(tool))
        {
            p.Add("tool", $"'{tool}' is not a configured migration tool; {Known(options.Value.Tools.Keys, "Tools")}");
        }

        var (down, source) = ("", "");
        if (tool is not null && inline is not null)
        {
            p.Add("down", "goes with params.database; a tool reads its own down migration");
        }
        else if (configured is not null && !irreversible && id is not null)
        {
            (down, source) = DownOf(p, database!, configured, id, inline);
        }

        migration = new Migration(database ?? "", tool, id ?? "", down, source, irreversible);
        return p.Problem;
    }

    /// <summary>
    /// The down SQL and where it came from: inline only where the database allows it (a deploy body
    /// is whatever its key holder sends), else <c>&lt;MigrationsPath&gt;/&lt;id&gt;.down.sql</c>.
    /// </summary>
    private static (string Down, string Source) DownOf(StepParams p, string name, SqlDatabaseOptions database, string id, string? inline)
    {
        if (inline is not null)
        {
            if (!database.AllowInlineDown)
            {
                p.Add("down", $"is not accepted for database '{name}' (Rollback:Executors:Sql:Databases:{name}:AllowInlineDown is false): its down migrations come from its MigrationsPath as <id>.down.sql");
            }
            else if (inline.Length > MaxDownLength)
            {
                p.Add("down", $"must be at most {MaxDownLength} characters");
            }
            else if (inline.Trim().Length == 0)
            {
                p.Add("down", "holds no statement");
            }

            return (inline, "inline");
        }

        if (database.MigrationsPath is not { Length: > 0 } folder)
        {
            p.Add("down", database.AllowInlineDown
                ? $"is required: database '{name}' has no MigrationsPath to read it from"
                : $"cannot be found: database '{name}' has no Rollback:Executors:Sql:Databases:{name}:MigrationsPath (and does not accept inline down SQL)");
            return ("", "");
        }

        var file = Path.Combine(folder, $"{id}.down.sql");
        var info = new FileInfo(file);
        if (!info.Exists)
        {
            p.Add("migration", $"'{id}' has no down migration: {id}.down.sql is not in the migrations folder of database '{name}'");
            return ("", "");
        }

        if (info.Length > MaxDownLength)
        {
            p.Add("migration", $"'{id}': {id}.down.sql is larger than {MaxDownLength} bytes");
            return ("", "");
        }

        return (File.ReadAllText(file), $"{id}.down.sql");
    }

    private static string Known(IEnumerable<string> names, string section)
    {
        var known = names.Order(StringComparer.Ordinal).ToList();
        return known.Count == 0 ? $"none is configured (Rollback:Executors:Sql:{section})" : $"configured: {string.Join(", ", known)}";
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")]
    private static partial Regex DatabaseName();

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")]
    private static partial Regex MigrationId();

    private sealed record Migration(string Database, string? Tool, string Id, string Down, string Source, bool Irreversible);
}
