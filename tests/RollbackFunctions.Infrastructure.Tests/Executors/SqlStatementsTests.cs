using RollbackFunctions.Infrastructure.Executors.Sql;

namespace RollbackFunctions.Infrastructure.Tests.Executors;

public sealed class SqlStatementsTests
{
    [Theory]
    [InlineData("DROP TABLE orders_archive")]
    [InlineData("drop schema billing cascade")]
    [InlineData("ALTER TABLE orders DROP COLUMN discount_code")]
    [InlineData("ALTER TABLE orders DROP discount_code")]
    [InlineData("TRUNCATE audit_log")]
    [InlineData("DELETE FROM sessions")]
    [InlineData("UPDATE orders SET status = 'new'")]
    [InlineData("ALTER TABLE orders ALTER COLUMN total TYPE integer")]
    [InlineData("ALTER TABLE orders ALTER COLUMN total SET DATA TYPE numeric(10,2)")]
    public void Destructive_StatementsThatLoseData_AreFound(string statement) =>
        Assert.Equal([statement], SqlStatements.Destructive($"CREATE INDEX i ON t(c);\n{statement};"));

    [Theory]
    [InlineData("DROP INDEX orders_created_idx")]
    [InlineData("ALTER TABLE orders DROP CONSTRAINT orders_total_check")]
    [InlineData("ALTER TABLE orders ALTER COLUMN note DROP DEFAULT")]
    [InlineData("ALTER TABLE orders ALTER COLUMN note DROP NOT NULL")]
    [InlineData("DELETE FROM sessions WHERE expires_at < now()")]
    [InlineData("UPDATE orders SET status = 'new' WHERE status IS NULL")]
    [InlineData("INSERT INTO notes(text) VALUES ('DROP TABLE orders; TRUNCATE x')")]
    [InlineData("-- DROP TABLE orders\nSELECT 1")]
    [InlineData("/* TRUNCATE audit_log; */ SELECT 1")]
    [InlineData("CREATE FUNCTION f() RETURNS void AS $body$ BEGIN DELETE FROM t; END $body$ LANGUAGE plpgsql")]
    [InlineData("COMMENT ON TABLE \"DROP TABLE x\" IS 'ok'")]
    public void Destructive_StatementsThatKeepData_OrOnlyMentionDestruction_AreNot(string statement) =>
        Assert.Empty(SqlStatements.Destructive(statement));

    [Fact]
    public void Split_SemicolonsInStringsAndBodies_DoNotSplit() =>
        Assert.Equal(3, SqlStatements.Split("INSERT INTO t VALUES ('a;b'); CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;\n-- done;\nSELECT 2;").Count);
}
