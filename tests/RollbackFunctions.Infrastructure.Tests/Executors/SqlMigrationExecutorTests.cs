using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Executors;
using RollbackFunctions.Infrastructure.Executors.Sql;
using RollbackFunctions.Infrastructure.Executors.Processes;
using RollbackFunctions.Infrastructure.Audit;

namespace RollbackFunctions.Infrastructure.Tests.Executors;

/// <summary>The SQL executor against a real PostgreSQL (a throwaway cluster started once per run).</summary>
public sealed class SqlMigrationExecutorTests
{
    private const string Up = """
        CREATE TABLE orders (id bigserial PRIMARY KEY, note text, created_at timestamptz NOT NULL DEFAULT now());
        INSERT INTO orders (note) VALUES ('first'), ('second');
        ALTER TABLE orders ADD COLUMN discount_code text;
        CREATE INDEX orders_created_idx ON orders (created_at);
        ALTER TABLE orders ALTER COLUMN note SET DEFAULT '';
        """;

    private const string GentleDown = "DROP INDEX orders_created_idx; ALTER TABLE orders ALTER COLUMN note DROP DEFAULT;";
    private const string DestructiveDown = "DROP INDEX orders_created_idx; ALTER TABLE orders DROP COLUMN discount_code;";

    private static readonly ProcessRunner Processes = new(new SecretRedactor([]));

    private static JsonObject Params(string down, string migration = "20261127_add_discount") =>
        new() { ["database"] = "orders", ["migration"] = migration, ["down"] = down };

    [Fact]
    public async Task Revert_WithAConfiguredTool_RunsItWithTheMigrationId_NoShell()
    {
        using var flyway = StandIn.Create("flyway", """
            echo "Successfully undid 1 migration to schema \"public\" (execution time 00:00.012s)"
            """);
        var tools = new SqlOptions
        {
            Tools =
            {
                ["flyway"] = new MigrationToolOptions
                {
                    Path = flyway.Path,
                    Arguments = ["-configFiles=conf/prod.conf", "undo", "-target={migration}"],
                    WorkingDirectory = flyway.Folder,
                },
            },
        };
        var executor = new SqlMigrationExecutor(Options.Create(tools), Processes);
        var parameters = new JsonObject { ["tool"] = "flyway", ["migration"] = "20261127.1; rm -rf /" };

        var problem = executor.ValidateParams(parameters);
        parameters["migration"] = "20261127.1";
        var result = await executor.RevertAsync(Revert(parameters), default);

        Assert.Contains("params.migration", problem);
        Assert.Equal(RevertOutcome.Reverted, result.Outcome);
        Assert.Contains("Successfully undid 1 migration", result.Detail);
        var call = Assert.Single(flyway.Calls);
        Assert.Equal([flyway.Folder, "-configFiles=conf/prod.conf", "undo", "-target=20261127.1"], call);
    }

    private static async Task<(SqlMigrationExecutor Executor, string Connection)> ArrangeAsync(bool rehearse = false)
    {
        var connection = await SharedPostgres.NewDatabaseAsync();
        await SharedPostgres.ExecuteAsync(connection, Up);
        var options = new SqlOptions { Databases = { ["orders"] = new SqlDatabaseOptions { ConnectionString = connection, AllowInlineDown = true, Rehearse = rehearse } } };
        return (new SqlMigrationExecutor(Options.Create(options), Processes), connection);
    }

    private static StepRevertRequest Revert(JsonObject parameters, bool approved = false, string rollbackId = "rb-d1", string? planDigest = null, string deployId = "d1") =>
        new(rollbackId, deployId, "schema", "sqlMigration", parameters, "1.4.3", "1.4.2") { Approved = approved, PlanDigest = planDigest };

    /// <summary>
    /// Issue 17, point 4: the "already reverted" row was keyed by migration only, so a migration
    /// rolled back for one deploy and applied again by a later one was never reverted again.
    /// </summary>
    [SkippableFact]
    public async Task Revert_MigrationAppliedAgainByALaterDeploy_IsRevertedAgain()
    {
        var (executor, connection) = await ArrangeAsync();
        await executor.RevertAsync(Revert(Params(GentleDown)), default);
        await SharedPostgres.ExecuteAsync(connection, "CREATE INDEX orders_created_idx ON orders (created_at); ALTER TABLE orders ALTER COLUMN note SET DEFAULT '';"); // d2 applies it again

        var again = await executor.RevertAsync(Revert(Params(GentleDown), rollbackId: "rb-d2", deployId: "d2"), default);

        Assert.Equal(RevertOutcome.Reverted, again.Outcome);
        Assert.Contains("ran the down migration", again.Detail);
        Assert.Equal(0L, await SharedPostgres.ScalarAsync(connection, "SELECT count(*) FROM pg_indexes WHERE indexname = 'orders_created_idx'"));
    }

    /// <summary>The schema is the three-state rule's target: the deploy's own change reads apart from a later one.</summary>
    [SkippableFact]
    public async Task Observe_SchemaChangedByAnotherMigration_DiffersFromTheDeploysOwn_NamingTheTable()
    {
        var (executor, connection) = await ArrangeAsync();
        var request = new StepObserveRequest("d1", "schema", "sqlMigration", Params(GentleDown));
        var after = (await executor.ObserveAsync(request, default)).State!;

        await SharedPostgres.ExecuteAsync(connection, "ALTER TABLE orders ADD COLUMN hotfix int;");
        var current = (await executor.ObserveAsync(request, default)).State!;

        Assert.False(current.SameAs(after));
        Assert.Equal(["table public.orders"], after.DifferingParts(current));
    }

    /// <summary>Issue 19: the down migration in a transaction always rolled back, its effect judged as the revert judges it (SAFETY.md 3).</summary>
    [SkippableFact]
    public async Task Rehearse_DownThatDropsAColumn_SaysWouldNeedApproval_WithTheEffect_AndKeepsEverything()
    {
        var (executor, connection) = await ArrangeAsync(rehearse: true);

        var rehearsal = await executor.RehearseAsync(Revert(Params(DestructiveDown)), default);

        Assert.Equal(RehearsalOutcome.WouldNeedApproval, rehearsal.Outcome);
        Assert.Contains("drops column public.orders.discount_code", rehearsal.Detail);
        Assert.Equal(1L, await SharedPostgres.ScalarAsync(connection, "SELECT count(*) FROM information_schema.columns WHERE column_name = 'discount_code'"));
        Assert.Equal(1L, await SharedPostgres.ScalarAsync(connection, "SELECT count(*) FROM pg_indexes WHERE indexname = 'orders_created_idx'"));
        Assert.Equal(0L, await SharedPostgres.ScalarAsync(connection, "SELECT count(*) FROM pg_tables WHERE tablename = 'rollback_functions_reverted_migrations'"));
    }

    /// <summary>
    /// Review (review-b): a down migration file wrapped in its own BEGIN/COMMIT (a common form) ends
    /// the rehearsal's transaction itself; what follows is committed, so "always rolled back" held
    /// only for the statements before it. It must run nothing that outlives the rehearsal.
    /// </summary>
    [SkippableTheory]
    [InlineData("BEGIN; ALTER TABLE orders DROP COLUMN discount_code; COMMIT;")]
    [InlineData("ALTER TABLE orders DROP COLUMN discount_code; COMMIT; SELECT 1;")]
    [InlineData("END; ALTER TABLE orders DROP COLUMN discount_code;")]
    public async Task Rehearse_DownThatEndsItsOwnTransaction_ChangesNothing(string down)
    {
        var (executor, connection) = await ArrangeAsync(rehearse: true);

        var rehearsal = await Record.ExceptionAsync(() => executor.RehearseAsync(Revert(Params(down)), default)) is { } thrown ? null : await executor.RehearseAsync(Revert(Params(down)), default);

        Assert.Equal(1L, await SharedPostgres.ScalarAsync(connection, "SELECT count(*) FROM information_schema.columns WHERE column_name = 'discount_code'"));
        Assert.Equal(RehearsalOutcome.Fails, rehearsal?.Outcome);
    }

    /// <summary>Transaction words inside a block, a body, a comment or a string are not the down's own transaction control.</summary>
    [SkippableTheory]
    [InlineData("DO $body$ BEGIN PERFORM 1; END $body$; /* COMMIT; /* END; */ ROLLBACK; */ DROP INDEX orders_created_idx;")]
    [InlineData("SELECT 'COMMIT; ROLLBACK', E'\\'; END;'; DROP INDEX orders_created_idx;")]
    public async Task Rehearse_TransactionWordsOnlyInsideBlocksOrText_IsRehearsed(string down)
    {
        var (executor, _) = await ArrangeAsync(rehearse: true);

        var rehearsal = await executor.RehearseAsync(Revert(Params(down)), default);

        Assert.True(rehearsal.Outcome == RehearsalOutcome.Ok, rehearsal.Detail);
    }

    /// <summary>
    /// Review (review-b): the same down run by a revert commits its loss before the effect is judged
    /// (SAFETY.md 3: a loss waits for an operator's approval of that effect).
    /// </summary>
    [SkippableFact]
    public async Task Revert_DownThatCommitsItself_LosesNoDataWithoutApproval()
    {
        var (executor, connection) = await ArrangeAsync();

        var thrown = await Record.ExceptionAsync(() => executor.RevertAsync(Revert(Params("BEGIN; ALTER TABLE orders DROP COLUMN discount_code; COMMIT;")), default));

        Assert.Equal(1L, await SharedPostgres.ScalarAsync(connection, "SELECT count(*) FROM information_schema.columns WHERE column_name = 'discount_code'"));
        Assert.Null(thrown);
    }

    [SkippableFact]
    public async Task Rehearse_GentleDown_IsOk_AndIsRolledBack()
    {
        var (executor, connection) = await ArrangeAsync(rehearse: true);

        var rehearsal = await executor.RehearseAsync(Revert(Params(GentleDown)), default);

        Assert.Equal(RehearsalOutcome.Ok, rehearsal.Outcome);
        Assert.Contains("no data lost", rehearsal.Detail);
        Assert.Equal(1L, await SharedPostgres.ScalarAsync(connection, "SELECT count(*) FROM pg_indexes WHERE indexname = 'orders_created_idx'"));
    }

    [SkippableFact]
    public async Task Rehearse_DatabaseNotOpenToRehearsals_IsNotRehearsable_AndRunsNothing()
    {
        var (executor, connection) = await ArrangeAsync();

        var rehearsal = await executor.RehearseAsync(Revert(Params("DROP TABLE orders;")), default);

        Assert.Equal(RehearsalOutcome.NotRehearsable, rehearsal.Outcome);
        Assert.Contains("Rollback:Executors:Sql:Databases:orders:Rehearse", rehearsal.Detail);
        Assert.Equal(2L, await SharedPostgres.ScalarAsync(connection, "SELECT count(*) FROM orders"));
    }

    [SkippableFact]
    public async Task Revert_RunsTheDownMigration_AndRecordsItInTheSameTransaction()
    {
        var (executor, connection) = await ArrangeAsync();

        var result = await executor.RevertAsync(Revert(Params(GentleDown)), default);

        Assert.Equal(RevertOutcome.Reverted, result.Outcome);
        Assert.Contains("no data lost", result.Detail);
        Assert.Equal(0L, await SharedPostgres.ScalarAsync(connection, "SELECT count(*) FROM pg_indexes WHERE indexname = 'orders_created_idx'"));
        Assert.Null(await SharedPostgres.ScalarAsync(connection, "SELECT column_default FROM information_schema.columns WHERE table_name = 'orders' AND column_name = 'note'"));
        Assert.Equal("rb-d1", await SharedPostgres.ScalarAsync(connection, "SELECT rollback_id FROM rollback_functions_reverted_migrations WHERE migration = '20261127_add_discount'"));
    }

    [SkippableFact]
    public async Task Revert_Twice_RunsTheDownMigrationOnce()
    {
        var (executor, _) = await ArrangeAsync();

        await executor.RevertAsync(Revert(Params(GentleDown)), default);
        var second = await executor.RevertAsync(Revert(Params(GentleDown), rollbackId: "rb-d1-2"), default);

        // DROP INDEX would fail the second time: the bookkeeping row is what makes this a no-op.
        Assert.Equal(RevertOutcome.Reverted, second.Outcome);
        Assert.Contains("already reverted by rb-d1", second.Detail);
    }

    [SkippableFact]
    public async Task Revert_Concurrently_RunsTheDownMigrationOnce()
    {
        var (executor, connection) = await ArrangeAsync();

        var results = await Task.WhenAll(Enumerable.Range(0, 4).Select(i => executor.RevertAsync(Revert(Params(GentleDown), rollbackId: $"rb-{i}"), default)));

        Assert.All(results, r => Assert.Equal(RevertOutcome.Reverted, r.Outcome));
        Assert.Equal(3, results.Count(r => r.Detail.Contains("already reverted", StringComparison.Ordinal)));
        Assert.Equal(1L, await SharedPostgres.ScalarAsync(connection, "SELECT count(*) FROM rollback_functions_reverted_migrations"));
    }

    [SkippableFact]
    public async Task Revert_DroppingAColumn_WaitsForApprovalWithTheEffect_ThenRunsWhenThatEffectIsApproved()
    {
        var (executor, connection) = await ArrangeAsync();
        await SharedPostgres.ExecuteAsync(connection, "UPDATE orders SET discount_code = 'WINTER' WHERE note = 'first'");

        var asked = await executor.RevertAsync(Revert(Params(DestructiveDown)), default);
        var columnsBefore = await SharedPostgres.ScalarAsync(connection, "SELECT count(*) FROM information_schema.columns WHERE table_name = 'orders' AND column_name = 'discount_code'");
        var indexBefore = await SharedPostgres.ScalarAsync(connection, "SELECT count(*) FROM pg_indexes WHERE indexname = 'orders_created_idx'");
        var approved = await executor.RevertAsync(Revert(Params(DestructiveDown), approved: true, planDigest: asked.PlanDigest), default);

        Assert.Equal(RevertOutcome.NeedsApproval, asked.Outcome);
        Assert.Contains("drops column public.orders.discount_code (1 rows have a value)", asked.Detail);
        Assert.DoesNotContain("index", asked.Detail, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(1L, columnsBefore); // nothing stayed before the approval
        Assert.Equal(1L, indexBefore);
        Assert.Equal(RevertOutcome.Reverted, approved.Outcome);
        Assert.Equal(0L, await SharedPostgres.ScalarAsync(connection, "SELECT count(*) FROM information_schema.columns WHERE table_name = 'orders' AND column_name = 'discount_code'"));
    }

    /// <summary>Issue 18.2: what the SQL says does not matter, what it did inside its transaction does.</summary>
    [SkippableTheory]
    [InlineData("DO $$ BEGIN EXECUTE 'DROP TABLE ' || 'orders'; END $$;", "drops table public.orders (2 rows)")]
    [InlineData("ALTER TABLE orders ALTER note TYPE varchar(3) USING left(note, 3);", "changes the type (text to character varying(3)) of column public.orders.note (2 rows have a value)")]
    [InlineData("WITH d AS (DELETE FROM orders RETURNING id) SELECT count(*) FROM d;", "deletes 2 row(s) from public.orders")]
    [InlineData("DELETE FROM orders WHERE true;", "deletes 2 row(s) from public.orders")]
    [InlineData("SELECT E'\\''; DROP TABLE orders; SELECT '';", "drops table public.orders (2 rows)")]
    [InlineData("TRUNCATE orders;", "truncates or rewrites table public.orders (2 rows)")]
    [InlineData("UPDATE orders SET note = NULL;", "updates 2 row(s) of public.orders")]
    [InlineData("DROP SCHEMA public CASCADE; CREATE SCHEMA public;", "drops schema public")]
    public async Task Revert_DownThatLosesData_WaitsForApproval_AndLeavesTheDataInPlace(string down, string effect)
    {
        var (executor, connection) = await ArrangeAsync();

        var asked = await executor.RevertAsync(Revert(Params(down)), default);

        Assert.Equal(RevertOutcome.NeedsApproval, asked.Outcome);
        Assert.Contains(effect, asked.Detail);
        Assert.Equal(["first", "second"], await NotesAsync(connection));
        Assert.Equal("text", await SharedPostgres.ScalarAsync(connection, "SELECT data_type FROM information_schema.columns WHERE table_name = 'orders' AND column_name = 'note'"));
        Assert.Equal(0L, await SharedPostgres.ScalarAsync(connection, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'rollback_functions_reverted_migrations'")); // rolled back with it
    }

    [SkippableFact]
    public async Task Revert_ApprovedEffectNoLongerTheSame_IsRolledBackAndAskedAgain()
    {
        var (executor, connection) = await ArrangeAsync();
        const string down = "DELETE FROM orders WHERE note <> 'keep';";
        var asked = await executor.RevertAsync(Revert(Params(down)), default);
        await SharedPostgres.ExecuteAsync(connection, "INSERT INTO orders (note) VALUES ('third')");

        var again = await executor.RevertAsync(Revert(Params(down), approved: true, planDigest: asked.PlanDigest), default);

        Assert.Equal(RevertOutcome.NeedsApproval, again.Outcome);
        Assert.NotEqual(asked.PlanDigest, again.PlanDigest);
        Assert.Contains("deletes 3 row(s) from public.orders", again.Detail);
        Assert.Equal(3L, await SharedPostgres.ScalarAsync(connection, "SELECT count(*) FROM orders"));
    }

    [SkippableFact]
    public async Task Revert_BlockedByALongTransaction_GivesUpAfterLockTimeout_SayingWhoHeldIt_AndSucceedsOnceItEnds()
    {
        var connection = await SharedPostgres.NewDatabaseAsync();
        await SharedPostgres.ExecuteAsync(connection, Up);
        var options = new SqlOptions
        {
            Databases = { ["orders"] = new SqlDatabaseOptions { ConnectionString = connection, AllowInlineDown = true } },
            LockTimeout = TimeSpan.FromMilliseconds(300),
            CommandTimeout = TimeSpan.FromSeconds(20),
        };
        var executor = new SqlMigrationExecutor(Options.Create(options), Processes);
        await using var report = new Npgsql.NpgsqlConnection(connection + ";Application Name=long-report");
        await report.OpenAsync();
        var reading = await report.BeginTransactionAsync();
        await using (var read = new Npgsql.NpgsqlCommand("SELECT count(*) FROM orders", report, reading))
        {
            await read.ExecuteScalarAsync();
        }

        var blocked = await Assert.ThrowsAsync<StepUnavailableException>(() => executor.RevertAsync(Revert(Params(GentleDown)), default));
        await reading.CommitAsync();
        var retried = await executor.RevertAsync(Revert(Params(GentleDown)), default);

        Assert.Contains("gave up", blocked.Message);
        Assert.Contains("long-report", blocked.Message);
        Assert.Contains("SELECT count(*) FROM orders", blocked.Message);
        Assert.Equal(RevertOutcome.Reverted, retried.Outcome);
        Assert.Equal(0L, await SharedPostgres.ScalarAsync(connection, "SELECT count(*) FROM pg_indexes WHERE indexname = 'orders_created_idx'"));
    }

    [SkippableFact]
    public async Task Revert_DownFromTheMigrationsFolder_InlineDownRefusedUnlessAllowed()
    {
        var connection = await SharedPostgres.NewDatabaseAsync();
        await SharedPostgres.ExecuteAsync(connection, Up);
        var folder = Directory.CreateTempSubdirectory("migrations-").FullName;
        await File.WriteAllTextAsync(Path.Combine(folder, "20261127_add_discount.down.sql"), GentleDown);
        var executor = new SqlMigrationExecutor(
            Options.Create(new SqlOptions { Databases = { ["orders"] = new SqlDatabaseOptions { ConnectionString = connection, MigrationsPath = folder } } }), Processes);
        var fromFolder = new JsonObject { ["database"] = "orders", ["migration"] = "20261127_add_discount" };

        var inlineProblem = executor.ValidateParams(Params("DROP TABLE orders;"));
        var missingProblem = executor.ValidateParams(new JsonObject { ["database"] = "orders", ["migration"] = "20990101_unknown" });
        var prepared = await executor.PrepareAsync(new StepPrepareRequest("d1", "schema", "sqlMigration", fromFolder), default);
        var result = await executor.RevertAsync(Revert(fromFolder) with { Captured = prepared.Captured }, default);

        Assert.Contains("params.down is not accepted for database 'orders'", inlineProblem);
        Assert.Contains("20990101_unknown.down.sql is not in the migrations folder", missingProblem);
        Assert.Equal(RevertOutcome.Reverted, result.Outcome);
        Assert.Contains("20261127_add_discount.down.sql", result.Detail);
        Assert.Equal(0L, await SharedPostgres.ScalarAsync(connection, "SELECT count(*) FROM pg_indexes WHERE indexname = 'orders_created_idx'"));
        Directory.Delete(folder, recursive: true);
    }

    private static async Task<List<string>> NotesAsync(string connection)
    {
        await using var db = new Npgsql.NpgsqlConnection(connection);
        await db.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand("SELECT note FROM orders ORDER BY id", db);
        await using var reader = await command.ExecuteReaderAsync();
        var notes = new List<string>();
        while (await reader.ReadAsync())
        {
            notes.Add(reader.GetString(0));
        }

        return notes;
    }

    [SkippableFact]
    public async Task Revert_FailingStatement_RollsEverythingBack_AndCanBeRetried()
    {
        var (executor, connection) = await ArrangeAsync();

        var result = await executor.RevertAsync(Revert(Params("DROP INDEX orders_created_idx; ALTER TABLE orders ALTER COLUMN no_such_column DROP DEFAULT;")), default);

        Assert.Equal(RevertOutcome.Failed, result.Outcome);
        Assert.Contains("42703", result.Detail); // undefined_column
        Assert.Contains("rolled back", result.Detail);
        Assert.Equal(1L, await SharedPostgres.ScalarAsync(connection, "SELECT count(*) FROM pg_indexes WHERE indexname = 'orders_created_idx'"));
        Assert.Equal(0L, await SharedPostgres.ScalarAsync(connection, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'rollback_functions_reverted_migrations'"));
    }

    [SkippableFact]
    public async Task Prepare_Irreversible_MakesTheStepManual_AndListsNothingToRun()
    {
        var (executor, _) = await ArrangeAsync();
        var parameters = new JsonObject { ["database"] = "orders", ["migration"] = "20261127_split_names", ["irreversible"] = true };

        var prepared = await executor.PrepareAsync(new StepPrepareRequest("d1", "schema", "sqlMigration", parameters), default);

        Assert.True(prepared.ManualOnly);
        Assert.Null(executor.ValidateParams(parameters));
    }

    [Theory]
    [InlineData("""{"database":"billing","migration":"m1","down":"SELECT 1"}""", "params.database 'billing' is not a configured database")]
    [InlineData("""{"database":"orders","migration":"m1; DROP TABLE x","down":"SELECT 1"}""", "params.migration")]
    [InlineData("""{"database":"orders","migration":"m1"}""", "params.down is required")]
    [InlineData("""{"database":"orders","migration":"m1","down":"   "}""", "params.down holds no statement")]
    [InlineData("""{"migration":"m1","down":"SELECT 1"}""", "exactly one is required")]
    [InlineData("""{"database":"orders","tool":"flyway","migration":"m1","down":"SELECT 1"}""", "exactly one is required")]
    [InlineData("""{"database":"orders","migration":"m1","down":"SELECT 1","irreversible":"yes"}""", "params.irreversible")]
    public void ValidateParams_NamesTheField(string parameters, string named)
    {
        var executor = new SqlMigrationExecutor(Options.Create(new SqlOptions { Databases = { ["orders"] = new SqlDatabaseOptions { ConnectionString = "Host=127.0.0.1", AllowInlineDown = true } } }), Processes);

        Assert.Contains(named, executor.ValidateParams(JsonNode.Parse(parameters)!.AsObject()));
    }
}
