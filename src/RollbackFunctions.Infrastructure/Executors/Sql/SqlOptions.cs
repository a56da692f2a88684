using System.ComponentModel.DataAnnotations;

namespace RollbackFunctions.Infrastructure.Executors.Sql;

/// <summary>
/// Databases <c>sqlMigration</c> steps may name, bound from <c>Rollback:Executors:Sql</c>.
/// Connection strings (with their passwords) come from here, Key Vault references in Azure.
/// </summary>
public sealed class SqlOptions : IValidatableObject
{
    /// <summary>Databases by the name a step gives in <c>params.database</c>.</summary>
    public Dictionary<string, SqlDatabaseOptions> Databases { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Migration tools by the name a step gives in <c>params.tool</c> (Flyway, golang-migrate, an EF
    /// Core bundle): a binary and its arguments, <c>{migration}</c> replaced by the step's migration id.
    /// </summary>
    public Dictionary<string, MigrationToolOptions> Tools { get; set; } = new(StringComparer.Ordinal);

    /// <summary>How long one down migration may run before PostgreSQL cancels it (<c>statement_timeout</c>).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// <c>lock_timeout</c> of the down migration's transaction. An ALTER TABLE waiting for its
    /// exclusive lock behind a long transaction queues every later query on that table behind it:
    /// past this the migration gives up, the step's row says which sessions held the locks, and the
    /// revert is retried with backoff.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan LockTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Every connection string, for redaction.</summary>
    public IEnumerable<string?> Secrets() => Databases.Values.Select(d => d.ConnectionString).Concat(Tools.Values.SelectMany(t => t.Environment.Values));

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext) =>
        Databases.Where(d => string.IsNullOrWhiteSpace(d.Value.ConnectionString))
            .Select(d => new ValidationResult($"Rollback:Executors:Sql:Databases:{d.Key}:ConnectionString is required"))
            .Concat(Databases.Where(d => d.Value.MigrationsPath is { Length: > 0 } path && !Path.IsPathRooted(path))
                .Select(d => new ValidationResult($"Rollback:Executors:Sql:Databases:{d.Key}:MigrationsPath must be an absolute path")))
            .Concat(Tools.Where(t => !Path.IsPathRooted(t.Value.Path) || !Path.IsPathRooted(t.Value.WorkingDirectory))
                .Select(t => new ValidationResult($"Rollback:Executors:Sql:Tools:{t.Key}: Path and WorkingDirectory must be absolute paths")));
}

/// <summary>A migration tool run through the process runner (no shell). Its credentials come from its own configuration files or <see cref="Environment"/>.</summary>
public sealed class MigrationToolOptions
{
    /// <summary>Absolute path of the binary.</summary>
    public string Path { get; set; } = "";

    /// <summary>Arguments, one by one; <c>{migration}</c> becomes the step's migration id.</summary>
    public List<string> Arguments { get; set; } = [];

    /// <summary>Where it runs (its configuration and migration files).</summary>
    public string WorkingDirectory { get; set; } = "";

    /// <summary>Environment for the tool (a connection string, a password); masked in every output.</summary>
    public Dictionary<string, string> Environment { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>One database.</summary>
public sealed class SqlDatabaseOptions
{
    /// <summary>Npgsql connection string.</summary>
    public string ConnectionString { get; set; } = "";

    /// <summary>
    /// <c>Rollback:Executors:Sql:Databases:&lt;name&gt;:Environments</c>: the environments whose deploys may
    /// run a down migration here. Empty: every environment while none are declared, none once they are.
    /// </summary>
    public List<string> Environments { get; set; } = [];

    /// <summary>
    /// Accept the <c>down</c> SQL a registration carries. Off by default: whoever holds a <c>ci</c>
    /// key could otherwise run any SQL as this connection's user; the down migration then comes
    /// from <see cref="MigrationsPath"/>, reviewed with the code.
    /// </summary>
    public bool AllowInlineDown { get; set; }

    /// <summary>Folder of the down migrations, one file per migration id: <c>&lt;id&gt;.down.sql</c>.</summary>
    public string? MigrationsPath { get; set; }

    /// <summary>
    /// <c>Rollback:Executors:Sql:Databases:&lt;name&gt;:Rehearse</c>: a rehearsal may run down migrations
    /// here, inside a transaction that is always rolled back. Meant for a staging copy: even rolled
    /// back, a down migration takes its locks while it runs. Off by default (<c>notRehearsable</c>).
    /// </summary>
    public bool Rehearse { get; set; }
}
