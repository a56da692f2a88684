using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Npgsql;
using Polly;
using Polly.Retry;
using RollbackFunctions.Core.Executors;
using RollbackFunctions.Core.Ports;
using RollbackFunctions.Infrastructure.Executors.Processes;

namespace RollbackFunctions.Infrastructure.Executors.Sql;

/// <summary>
/// <c>sqlMigration</c> on PostgreSQL: runs the down migration (from the database's migrations
/// folder, or inline where the database allows it) in one transaction with a row in
/// <c>rollback_functions_reverted_migrations</c> keyed by migration and deploy, so a second run for
/// the same deploy (a retry, a replay, a forced rollback) finds the row and does nothing, while a
/// later deploy that applied the migration again is reverted again. The three states are the
/// database's schema (tables and their columns, as digests): a down migration runs only while the
/// schema is the one the deploy made. A transaction-scoped advisory lock keeps two reverts in one
/// database from running at once; <c>lock_timeout</c> and <c>statement_timeout</c> bound it.
/// What loses data is judged by effect, not by reading the SQL (SAFETY.md 3): before commit the
/// catalog and the row counters are compared with their state before (<see cref="DataLoss"/>);
/// any loss rolls everything back and asks an operator with the effect measured. Approved, the
/// migration runs again and commits only if its effect is the one approved (the same digest).
/// An irreversible migration is registered as manual.
/// </summary>
public sealed partial class SqlMigrationExecutor(IOptions<SqlOptions> options, ProcessRunner processes) : IStepExecutor
{
    /// <summary>Largest down migration accepted.</summary>
    public const int MaxDownLength = 256 * 1024;

    private const string Bookkeeping = CatalogSnapshot.Bookkeeping;

    private readonly ResiliencePipeline retry = new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            // Connection faults only: a statement that failed rolled its transaction back and is an
            // answer, not a fault; a lock timeout is retried by the step's own retry policy, with backoff.
            ShouldHandle = new PredicateBuilder().Handle<NpgsqlException>(e => e.IsTransient && e is not PostgresException { SqlState: PostgresErrorCodes.LockNotAvailable }),
            MaxRetryAttempts = 3,
            Delay = TimeSpan.FromMilliseconds(500),
            BackoffType = DelayBackoffType.Exponential,
        })
        .Build();

    public string Kind => "sqlMigration";

    public string? ValidateParams(JsonObject parameters) => Read(parameters, out _);

    /// <summary>
    /// A down migration run here stops when <see cref="DataLoss"/> finds a loss; one run by a
    /// migration tool never asks (the tool's judgement is its own), nor does an irreversible one (manual).
    /// </summary>
    public string? AsksApprovalWhen(JsonObject parameters) =>
        Read(parameters, out var migration) is null && migration.Tool is null && !migration.Irreversible
            ? "the down migration loses data (drops or rewrites a table, drops or retypes a column, deletes or updates rows)"
            : null;

    public async Task<StepPreparation> PrepareAsync(StepPrepareRequest request, CancellationToken cancellationToken)
    {
        if (Read(request.Params, out var migration) is { } problem)
        {
            return StepPreparation.Failed(problem, transient: false);
        }

        // The down migration is pinned by its digest: the revert runs what was registered, or says it changed.
        var captured = new JsonObject
        {
            ["database"] = migration.Database,
            ["tool"] = migration.Tool,
            ["irreversible"] = migration.Irreversible,
            ["downSource"] = migration.Source,
            ["downSha256"] = migration.Down.Length == 0 ? null : Sha256(migration.Down),
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

        if ((string?)request.Captured?["downSha256"] is { } registered && registered != Sha256(migration.Down))
        {
            return StepRevertResult.Failed($"the down migration of {migration.Id} ({migration.Source}) changed since the deploy was registered: not run");
        }

        if (OwnTransaction(migration) is { } own)
        {
            return StepRevertResult.Failed($"{own}: not run; remove it (the revert runs the down in one transaction) or revert it by hand");
        }

        var database = options.Value.Databases[migration.Database];
        try
        {
            return await retry.ExecuteAsync(token => RunDownAsync(migration, database, request, token), cancellationToken);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.LockNotAvailable)
        {
            var holders = await LockHolders.DescribeAsync(database.ConnectionString, options.Value.LockTimeout, cancellationToken);
            throw new StepUnavailableException(
                $"down migration {migration.Id} on {migration.Database} waited {options.Value.LockTimeout} for its locks and gave up, rolled back ({holders}); retried with backoff", e);
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

    /// <summary>
    /// Runs the migration under a savepoint and reads its effect. No loss: commit. Loss: back to the
    /// savepoint, measure it on the state before, and unless this very effect was approved, roll
    /// back and ask; approved, run it again and commit only if it does the same.
    /// </summary>
    private async ValueTask<StepRevertResult> RunDownAsync(Migration migration, SqlDatabaseOptions database, StepRevertRequest request, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await BoundAsync(connection, transaction, cancellationToken);

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
        if (await AlreadyRevertedAsync(connection, transaction, migration, request.DeployId, cancellationToken) is { } done)
        {
            return StepRevertResult.Reverted(done);
        }

        var what = $"down migration {migration.Id} on {migration.Database}";
        await ExecuteAsync(connection, transaction, "SAVEPOINT rollback_down", cancellationToken);
        var lost = await RunAndCompareAsync(connection, transaction, migration, cancellationToken);
        if (lost.Count > 0)
        {
            await ExecuteAsync(connection, transaction, "ROLLBACK TO SAVEPOINT rollback_down", cancellationToken);
            var effect = await DataLoss.MeasureAsync(lost, connection, transaction, cancellationToken);
            if (request.PlanDigest != effect.Digest)
            {
                await transaction.RollbackAsync(cancellationToken);
                return StepRevertResult.NeedsApproval(
                    $"{what} loses data and was rolled back: it {effect.Summary}; effect sha256:{effect.Digest}; approve with this planDigest to run it", effect.Digest);
            }

            var again = await RunAndCompareAsync(connection, transaction, migration, cancellationToken);
            if (!again.SequenceEqual(lost))
            {
                await transaction.RollbackAsync(cancellationToken);
                return StepRevertResult.Failed($"{what} did something else when run again after approval and was rolled back; approved: {effect.Summary}");
            }
        }

        await ExecuteAsync(connection, transaction, $"INSERT INTO {Bookkeeping} (migration, deploy_id, rollback_id) VALUES (@migration, @deploy, @rollback)", cancellationToken,
            ("migration", migration.Id), ("deploy", request.DeployId), ("rollback", request.RollbackId));
        await transaction.CommitAsync(cancellationToken);
        return StepRevertResult.Reverted(lost.Count == 0
            ? $"ran the {what} ({migration.Source}) in one transaction; no data lost (catalog and row counters compared before commit)"
            : $"ran the {what} ({migration.Source}) in one transaction, with the approved loss (effect sha256:{request.PlanDigest})");
    }

    private static async Task<IReadOnlyList<LossItem>> RunAndCompareAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Migration migration, CancellationToken cancellationToken)
    {
        var before = await CatalogSnapshot.ReadAsync(connection, transaction, cancellationToken);

        // statement_timeout ends it first; this only bounds a server that stopped answering.
        await using (var down = new NpgsqlCommand(migration.Down, connection, transaction) { CommandTimeout = 0 })
        {
            await down.ExecuteNonQueryAsync(cancellationToken);
        }

        return DataLoss.Between(before, await CatalogSnapshot.ReadAsync(connection, transaction, cancellationToken));
    }

    /// <summary>Whether this deploy's application of the migration was reverted already; a later deploy that applied it again is not.</summary>
    private static async Task<string?> AlreadyRevertedAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Migration migration, string deployId, CancellationToken cancellationToken)
    {
        await using var done = new NpgsqlCommand($"SELECT rollback_id, reverted_at FROM {Bookkeeping} WHERE migration = @migration AND deploy_id = @deploy", connection, transaction);
        done.Parameters.AddWithValue("migration", migration.Id);
        done.Parameters.AddWithValue("deploy", deployId);
        await using var reader = await done.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? $"migration {migration.Id} on {migration.Database} was already reverted by {reader.GetString(0)} at {reader.GetFieldValue<DateTimeOffset>(1):u}"
            : null;
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

    /// <summary>
    /// Why the down cannot run inside the revert's (or rehearsal's) transaction: a statement of its own
    /// that ends or opens one (a file wrapped in BEGIN/COMMIT) would commit before the effect is judged.
    /// </summary>
    private static string? OwnTransaction(Migration migration) =>
        TransactionControl.Find(migration.Down) is { } statement
            ? $"the down migration of {migration.Id} ({migration.Source}) controls its own transaction ('{statement}'), so it would commit before its effect is judged"
            : null;

    /// <summary>The transaction's bounds: how long it waits for a lock, and how long one statement may run.</summary>
    private async Task BoundAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await ExecuteAsync(connection, transaction, $"SET LOCAL lock_timeout = {Milliseconds(options.Value.LockTimeout)}", cancellationToken);
        await ExecuteAsync(connection, transaction, $"SET LOCAL statement_timeout = {Milliseconds(options.Value.CommandTimeout)}", cancellationToken);
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

    private static string Milliseconds(TimeSpan duration) => ((long)Math.Max(1, duration.TotalMilliseconds)).ToString(CultureInfo.InvariantCulture);

    private static string Sha256(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
