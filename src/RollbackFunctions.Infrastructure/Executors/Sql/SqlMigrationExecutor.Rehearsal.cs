using Npgsql;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Executors;

namespace RollbackFunctions.Infrastructure.Executors.Sql;

public sealed partial class SqlMigrationExecutor
{
    /// <summary>
    /// Only on a database marked <see cref="SqlDatabaseOptions.Rehearse"/>: the down migration runs
    /// inside a transaction that is always rolled back, whatever happens, and its effect is judged as
    /// the revert judges it (<see cref="DataLoss"/> between catalog snapshots, measured on the state
    /// before): a loss is <c>wouldNeedApproval</c> with the effect, none is <c>ok</c>. Nothing is
    /// committed and no bookkeeping row is written. Elsewhere, with a migration tool, or for an
    /// irreversible migration: <c>notRehearsable</c>.
    /// </summary>
    public async Task<StepRehearsal> RehearseAsync(StepRevertRequest request, CancellationToken cancellationToken)
    {
        if (Read(request.Params, out var migration) is { } problem)
        {
            return StepRehearsal.Fails(problem);
        }

        if (migration.Irreversible)
        {
            return StepRehearsal.NotRehearsable($"migration {migration.Id} is irreversible: there is no down migration to run");
        }

        if (migration.Tool is { } tool)
        {
            return StepRehearsal.NotRehearsable($"the migration tool {tool} runs the down step of {migration.Id}, and has no dry run here");
        }

        var database = options.Value.Databases[migration.Database];
        if (!database.Rehearse)
        {
            return StepRehearsal.NotRehearsable(
                $"database {migration.Database} is not open to rehearsals (Rollback:Executors:Sql:Databases:{migration.Database}:Rehearse, meant for a staging copy)");
        }

        if ((string?)request.Captured?["downSha256"] is { } registered && registered != Sha256(migration.Down))
        {
            return StepRehearsal.Fails($"the down migration of {migration.Id} ({migration.Source}) changed since the deploy was registered: a rollback would not run it");
        }

        if (OwnTransaction(migration) is { } own)
        {
            return StepRehearsal.Fails($"{own}: a rollback would not run it, so neither does the rehearsal");
        }

        var what = $"down migration {migration.Id} on {migration.Database}";
        try
        {
            return await retry.ExecuteAsync(token => RunDownRolledBackAsync(migration, database, what, token), cancellationToken);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.LockNotAvailable)
        {
            return StepRehearsal.Fails($"{what} waited {options.Value.LockTimeout} for its locks and gave up (rolled back): a revert now would wait and retry too");
        }
        catch (PostgresException e)
        {
            return StepRehearsal.Fails($"{what} fails (rolled back): {e.SqlState} {e.MessageText}; where the deploy's up migration is not applied yet, rehearse once it is");
        }
        catch (NpgsqlException e)
        {
            return StepRehearsal.Fails($"database {migration.Database} unreachable: {e.Message}");
        }
    }

    private async ValueTask<StepRehearsal> RunDownRolledBackAsync(Migration migration, SqlDatabaseOptions database, string what, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        try
        {
            await BoundAsync(connection, transaction, cancellationToken);
            await ExecuteAsync(connection, transaction, "SAVEPOINT rehearsal_down", cancellationToken);
            var lost = await RunAndCompareAsync(connection, transaction, migration, cancellationToken);
            if (lost.Count == 0)
            {
                return StepRehearsal.Ok($"ran the {what} ({migration.Source}) in a transaction that was rolled back: no data lost (catalog and row counters compared)");
            }

            // Measured on the state before the migration, as the revert measures what it asks approval for.
            await ExecuteAsync(connection, transaction, "ROLLBACK TO SAVEPOINT rehearsal_down", cancellationToken);
            var effect = await DataLoss.MeasureAsync(lost, connection, transaction, cancellationToken);
            return StepRehearsal.WouldNeedApproval($"the {what} loses data: it {effect.Summary}; ran in a transaction that was rolled back; the revert would wait for an operator's approval of this effect");
        }
        finally
        {
            // Always, on every path: a rehearsal never commits.
            try
            {
                await transaction.RollbackAsync(CancellationToken.None);
            }
            catch (NpgsqlException)
            {
                // The connection is gone: PostgreSQL rolls back the open transaction of a lost session itself.
            }
        }
    }
}
