using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
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

    private static async Task<(SqlMigrationExecutor Executor, string Connection)> ArrangeAsync()
    {
        var connection = await SharedPostgres.NewDatabaseAsync();
        await SharedPostgres.ExecuteAsync(connection, Up);
        var options = new SqlOptions { Databases = { ["orders"] = new SqlDatabaseOptions { ConnectionString = connection } } };
        return (new SqlMigrationExecutor(Options.Create(options), Processes), connection);
    }

    private static StepRevertRequest Revert(JsonObject parameters, bool approved = false, string rollbackId = "rb-d1", string deployId = "d1") =>
        new(rollbackId, deployId, "schema", "sqlMigration", parameters, "1.4.3", "1.4.2") { Approved = approved };

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

    [SkippableFact]
    public async Task Revert_RunsTheDownMigration_AndRecordsItInTheSameTransaction()
    {
        var (executor, connection) = await ArrangeAsync();

        var result = await executor.RevertAsync(Revert(Params(GentleDown)), default);

        Assert.Equal(RevertOutcome.Reverted, result.Outcome);
        Assert.Contains("2 statement(s)", result.Detail);
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
    public async Task Revert_DestructiveDown_WaitsForApprovalWithTheStatements_ThenRunsWhenApproved()
    {
        var (executor, connection) = await ArrangeAsync();

        var asked = await executor.RevertAsync(Revert(Params(DestructiveDown)), default);
        var columnsBefore = await SharedPostgres.ScalarAsync(connection, "SELECT count(*) FROM information_schema.columns WHERE table_name = 'orders' AND column_name = 'discount_code'");
        var approved = await executor.RevertAsync(Revert(Params(DestructiveDown), approved: true), default);

        Assert.Equal(RevertOutcome.NeedsApproval, asked.Outcome);
        Assert.Contains("loses data: ALTER TABLE orders DROP COLUMN discount_code", asked.Detail);
        Assert.DoesNotContain("DROP INDEX", asked.Detail);
        Assert.Equal(1L, columnsBefore); // nothing ran before the approval
        Assert.Equal(RevertOutcome.Reverted, approved.Outcome);
        Assert.Equal(0L, await SharedPostgres.ScalarAsync(connection, "SELECT count(*) FROM information_schema.columns WHERE table_name = 'orders' AND column_name = 'discount_code'"));
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

    [SkippableFact]
    public async Task Prepare_ShowsWhatWillNeedApproval()
    {
        var (executor, _) = await ArrangeAsync();

        var prepared = await executor.PrepareAsync(new StepPrepareRequest("d1", "schema", "sqlMigration", Params(DestructiveDown)), default);

        Assert.Equal(["ALTER TABLE orders DROP COLUMN discount_code"], prepared.Captured!["needsApproval"]!.AsArray().Select(s => (string)s!));
    }

    [Theory]
    [InlineData("""{"database":"billing","migration":"m1","down":"SELECT 1"}""", "params.database 'billing' is not a configured database")]
    [InlineData("""{"database":"orders","migration":"m1; DROP TABLE x","down":"SELECT 1"}""", "params.migration")]
    [InlineData("""{"database":"orders","migration":"m1"}""", "params.down is required")]
    [InlineData("""{"migration":"m1","down":"SELECT 1"}""", "exactly one is required")]
    [InlineData("""{"database":"orders","tool":"flyway","migration":"m1","down":"SELECT 1"}""", "exactly one is required")]
    [InlineData("""{"database":"orders","migration":"m1","down":"-- nothing"}""", "params.down holds no statement")]
    [InlineData("""{"database":"orders","migration":"m1","down":"SELECT 1","irreversible":"yes"}""", "params.irreversible")]
    public void ValidateParams_NamesTheField(string parameters, string named)
    {
        var executor = new SqlMigrationExecutor(Options.Create(new SqlOptions { Databases = { ["orders"] = new SqlDatabaseOptions { ConnectionString = "Host=127.0.0.1" } } }), Processes);

        Assert.Contains(named, executor.ValidateParams(JsonNode.Parse(parameters)!.AsObject()));
    }
}
