using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using Npgsql;
using Polly;
using Polly.Retry;
using RollbackFunctions.Core.Executors;
using RollbackFunctions.Core.Ports;
using RollbackFunctions.Infrastructure.Executors.Processes;

namespace RollbackFunctions.Infrastructure.Executors.Sql;

/// <summary>
/// <c>sqlMigration</c> on PostgreSQL: runs the down migration CI registered in one transaction with
/// a row in <c>rollback_functions_reverted_migrations</c> keyed by migration and deploy, so a second
/// run for the same deploy (a retry, a replay, a forced rollback) finds the row and does nothing,
/// while a later deploy that applied the migration again is reverted again. The three states are
/// the database's schema (tables and their columns, as digests): a down migration runs only while
/// the schema is the one the deploy made. A transaction-scoped advisory lock keeps two
/// reverts in one database from running at once. Statements that lose data wait for an operator's approval,
/// with those statements as evidence; an irreversible migration is registered as manual.
/// </summary>
public sealed partial class SqlMigrationExecutor(IOptions<SqlOptions> options, ProcessRunner processes) : IStepExecutor
{
    /// <summary>Largest down migration accepted at registration.</summary>
    public const int MaxDownLength = 256 * 1024;

    private const string Bookkeeping = "rollback_functions_reverted_migrations";

    private readonly ResiliencePipeline retry = new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            // Connection faults only: a statement that failed rolled its transaction back and is an answer, not a fault.
            ShouldHandle = new PredicateBuilder().Handle<NpgsqlException>(e => e.IsTransient),
            MaxRetryAttempts = 3,
            Delay = TimeSpan.FromMilliseconds(500),
            BackoffType = DelayBackoffType.Exponential,
        })
        .Build();

    public string Kind => "sqlMigration";

    public string? ValidateParams(JsonObject parameters) => Read(parameters, out _);

    public async Task<StepPreparation> PrepareAsync(StepPrepareRequest request, CancellationToken cancellationToken)
    {
        if (Read(request.Params, out var migration) is { } problem)
        {
            return StepPreparation.Failed(problem, transient: false);
        }

        // Nothing to read from the database: the down migration is the captured state. What will need
        // approval is worked out now, so the deploy reply shows it before anything goes wrong.
        var captured = new JsonObject
        {
            ["database"] = migration.Database,
            ["tool"] = migration.Tool,
            ["irreversible"] = migration.Irreversible,
            ["needsApproval"] = new JsonArray(SqlStatements.Destructive(migration.Down).Select(s => (JsonNode)Shorten(s)).ToArray()),
        };
        if (migration.Tool is not null || migration.Irreversible)
        {
            return new StepPreparation(captured, ManualOnly: migration.Irreversible); // the tool owns its state
        }

        var schema = await SchemaAsync(migration, cancellationToken);
        return schema.Problem is { } unreadable
            ? StepPreparation.Failed(unreadable, schema.Transient)
            : new StepPreparation(captured) { Before = schema.State };
    }

    /// <summary>The database's schema now; a step run by a migration tool cannot be read here.</summary>
    public async Task<TargetObservation> ObserveAsync(StepObserveRequest request, CancellationToken cancellationToken) =>
        Read(request.Params, out var migration) is { } problem ? TargetObservation.Failed(problem, transient: false)
        : migration.Tool is not null || migration.Irreversible ? TargetObservation.NotObservable
        : await SchemaAsync(migration, cancellationToken);

    /// <summary>
    /// Every table outside the system schemas with its columns, each table a digest: what a migration
    /// changes. Names are not secret, so a drift names the tables that changed.
    /// </summary>
    private async Task<TargetObservation> SchemaAsync(Migration migration, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = new NpgsqlConnection(options.Value.Databases[migration.Database].ConnectionString);
            await connection.OpenAsync(cancellationToken);
            await using var command = new NpgsqlCommand($"""
                SELECT table_schema || '.' || table_name,
                       string_agg(column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, ''), ',' ORDER BY column_name)
                FROM information_schema.columns
                WHERE table_schema NOT IN ('pg_catalog', 'information_schema') AND table_name <> '{Bookkeeping}'
                GROUP BY 1
                """, connection);
            var tables = new Dictionary<string, string>(StringComparer.Ordinal);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                tables[$"table {reader.GetString(0)}"] = TargetState.Digest(reader.GetString(1));
            }

            return new TargetObservation(new TargetState
            {
                Shown = new Dictionary<string, string> { ["tables"] = tables.Count.ToString(System.Globalization.CultureInfo.InvariantCulture) },
                Hidden = tables,
                Partial = true, // a migration may change rows only
            });
        }
        catch (NpgsqlException e)
        {
            return TargetObservation.Failed($"database {migration.Database}: {e.Message}", transient: e.IsTransient);
        }
    }

    public async Task<StepRevertResult> RevertAsync(StepRevertRequest request, CancellationToken cancellationToken)
    {
        if (Read(request.Params, out var migration) is { } problem)
        {
            return StepRevertResult.Failed(problem);
        }

        if (migration.Irreversible)
        {
            return StepRevertResult.Failed($"migration {migration.Id} is irreversible: revert it by hand");
        }

        if (migration.Tool is { } tool)
        {
            return await RunToolAsync(tool, migration.Id, request.WaitLimit, cancellationToken);
        }

        try
        {
            return await retry.ExecuteAsync(token => RunDownAsync(migration, request, token), cancellationToken);
        }
        catch (PostgresException e)
        {
            return StepRevertResult.Failed($"down migration {migration.Id} on {migration.Database} failed and was rolled back: {e.SqlState} {e.MessageText}");
        }
        catch (NpgsqlException e) when (e.IsTransient)
        {
            throw new StepUnavailableException($"database {migration.Database} unreachable: {e.Message}", e);
        }
    }

    private async ValueTask<StepRevertResult> RunDownAsync(Migration migration, StepRevertRequest request, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(options.Value.Databases[migration.Database].ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        // One revert at a time per database, held to the commit: two concurrent CREATE TABLE IF NOT
        // EXISTS collide in PostgreSQL's catalog, and two reverts of one migration must not both run.
        await ExecuteAsync(connection, transaction, $"SELECT pg_advisory_xact_lock(hashtext('{Bookkeeping}'))", cancellationToken);
        // Keyed by migration and deploy: a migration reverted for one deploy and applied again by a
        // later one must be reverted again. A table from before the deploy column gets it (its rows
        // keep deploy '') and loses its key on the migration alone.
        await ExecuteAsync(connection, transaction, $"""
            CREATE TABLE IF NOT EXISTS {Bookkeeping} (
                migration text NOT NULL,
                deploy_id text NOT NULL DEFAULT '',
                rollback_id text NOT NULL,
                reverted_at timestamptz NOT NULL DEFAULT now());
            ALTER TABLE {Bookkeeping} ADD COLUMN IF NOT EXISTS deploy_id text NOT NULL DEFAULT '';
            ALTER TABLE {Bookkeeping} DROP CONSTRAINT IF EXISTS {Bookkeeping}_pkey;
            CREATE UNIQUE INDEX IF NOT EXISTS {Bookkeeping}_by_deploy ON {Bookkeeping} (migration, deploy_id)
            """, cancellationToken);

        await using (var done = new NpgsqlCommand($"SELECT rollback_id, reverted_at FROM {Bookkeeping} WHERE migration = @migration AND deploy_id = @deploy", connection, transaction))
        {
            done.Parameters.AddWithValue("migration", migration.Id);
            done.Parameters.AddWithValue("deploy", request.DeployId);
            await using var reader = await done.ExecuteReaderAsync(cancellationToken);
            if (await reader.ReadAsync(cancellationToken))
            {
                return StepRevertResult.Reverted($"migration {migration.Id} on {migration.Database} was already reverted by {reader.GetString(0)} at {reader.GetFieldValue<DateTimeOffset>(1):u}");
            }
        }

        var destructive = SqlStatements.Destructive(migration.Down);
        if (destructive.Count > 0 && !request.Approved)
        {
            return StepRevertResult.NeedsApproval(
                $"down migration {migration.Id} on {migration.Database} loses data: {string.Join("; ", destructive.Select(Shorten))}");
        }

        await using (var down = new NpgsqlCommand(migration.Down, connection, transaction) { CommandTimeout = (int)options.Value.CommandTimeout.TotalSeconds })
        {
            await down.ExecuteNonQueryAsync(cancellationToken);
        }

        await ExecuteAsync(connection, transaction, $"INSERT INTO {Bookkeeping} (migration, deploy_id, rollback_id) VALUES (@migration, @deploy, @rollback)", cancellationToken,
            ("migration", migration.Id), ("deploy", request.DeployId), ("rollback", request.RollbackId));
        await transaction.CommitAsync(cancellationToken);
        var count = SqlStatements.Split(migration.Down).Count;
        return StepRevertResult.Reverted($"ran the down migration of {migration.Id} on {migration.Database} ({count} statement(s)) in one transaction");
    }

    /// <summary>
    /// Runs the team's migration tool for the migration's down step. Its idempotency and its
    /// judgement of what loses data are the tool's: register such steps with <c>revert.mode: approval</c>
    /// where the down step may lose data.
    /// </summary>
    private async Task<StepRevertResult> RunToolAsync(string name, string migrationId, TimeSpan limit, CancellationToken cancellationToken)
    {
        var tool = options.Value.Tools[name];
        var result = await processes.RunAsync(
            tool.Path,
            tool.Arguments.Select(a => a.Replace("{migration}", migrationId, StringComparison.Ordinal)),
            tool.WorkingDirectory,
            limit * 0.9,
            cancellationToken,
            tool.Environment.ToDictionary(e => e.Key, e => (string?)e.Value));
        return result switch
        {
            { ExitCode: 0 } => StepRevertResult.Reverted($"{name} reverted {migrationId}: {result.Tail(200)}"),
            { TimedOut: true } => StepRevertResult.TimedOut($"{name} did not finish reverting {migrationId}: {result.Tail()}"),
            _ => StepRevertResult.Failed($"{name} exited {result.ExitCode} reverting {migrationId}: {result.Tail()}"),
        };
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, CancellationToken cancellationToken, params (string Name, object Value)[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        await command.ExecuteNonQueryAsync(cancellationToken);
    }

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

        var down = p.Text("down", required: database is not null && !irreversible) ?? "";
        if (tool is not null && down.Length > 0)
        {
            p.Add("down", "goes with params.database; a tool reads its own down migration");
        }
        else if (down.Length > MaxDownLength)
        {
            p.Add("down", $"must be at most {MaxDownLength} characters");
        }
        else if (database is not null && !irreversible && down.Length > 0 && SqlStatements.Split(down).Count == 0)
        {
            p.Add("down", "holds no statement");
        }

        if (database is not null && !options.Value.Databases.ContainsKey(database))
        {
            p.Add("database", $"'{database}' is not a configured database; {Known(options.Value.Databases.Keys, "Databases")}");
        }

        if (tool is not null && !options.Value.Tools.ContainsKey(tool))
        {
            p.Add("tool", $"'{tool}' is not a configured migration tool; {Known(options.Value.Tools.Keys, "Tools")}");
        }

        migration = new Migration(database ?? "", tool, id ?? "", down, irreversible);
        return p.Problem;
    }

    private static string Known(IEnumerable<string> names, string section)
    {
        var known = names.Order(StringComparer.Ordinal).ToList();
        return known.Count == 0 ? $"none is configured (Rollback:Executors:Sql:{section})" : $"configured: {string.Join(", ", known)}";
    }

    private static string Shorten(string statement) => statement.Length <= 200 ? statement : statement[..200] + "…";

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")]
    private static partial Regex DatabaseName();

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")]
    private static partial Regex MigrationId();

    private sealed record Migration(string Database, string? Tool, string Id, string Down, bool Irreversible);
}
