using System.Diagnostics;
using Npgsql;

namespace RollbackFunctions.Testing;

/// <summary>
/// One throwaway PostgreSQL cluster (Debian package <c>postgresql</c>) for the whole test run:
/// <c>initdb</c> in a temporary folder, trust authentication, a free loopback port. PostgreSQL
/// refuses to run as root, so under root the cluster belongs to the <c>postgres</c> user the Debian
/// package creates. Tests isolate themselves with a database each.
/// </summary>
public static class SharedPostgres
{
    private static readonly Lazy<Task<string?>> Server = new(StartAsync);

    /// <summary>Where initdb and pg_ctl are: on PATH, else Debian's versioned folder.</summary>
    public static string? BinDirectory { get; } =
        new[] { "/usr/local/bin", "/usr/bin" }.FirstOrDefault(d => File.Exists(Path.Combine(d, "initdb")) && File.Exists(Path.Combine(d, "pg_ctl")))
        ?? (Directory.Exists("/usr/lib/postgresql") ? Directory.GetDirectories("/usr/lib/postgresql").Order().Select(v => Path.Combine(v, "bin")).LastOrDefault(b => File.Exists(Path.Combine(b, "initdb"))) : null);

    /// <summary>A connection string to a new, empty database of its own.</summary>
    public static async Task<string> NewDatabaseAsync()
    {
        var server = await Server.Value;
        RealParts.Require(server is not null, "PostgreSQL (Debian package 'postgresql'; scripts/test.sh installs it)");
        var name = Repo.UniqueName("db").ToLowerInvariant();
        await using (var connection = new NpgsqlConnection(server))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await create.ExecuteNonQueryAsync();
        }

        return new NpgsqlConnectionStringBuilder(server) { Database = name }.ConnectionString;
    }

    /// <summary>Runs SQL against a database, for arranging and checking a test.</summary>
    public static async Task ExecuteAsync(string connection, string sql)
    {
        await using var db = new NpgsqlConnection(connection);
        await db.OpenAsync();
        await using var command = new NpgsqlCommand(sql, db);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>The first column of the first row, null for SQL NULL.</summary>
    public static async Task<object?> ScalarAsync(string connection, string sql)
    {
        await using var db = new NpgsqlConnection(connection);
        await db.OpenAsync();
        await using var command = new NpgsqlCommand(sql, db);
        var value = await command.ExecuteScalarAsync();
        return value is DBNull ? null : value;
    }

    private static async Task<string?> StartAsync()
    {
        if (BinDirectory is null)
        {
            return null;
        }

        var root = Path.Combine(Path.GetTempPath(), $"rollback-postgres-{Guid.NewGuid():N}");
        var data = Path.Combine(root, "data");
        Directory.CreateDirectory(root);
        var port = SharedAzurite.FreePort();
        var asRoot = Environment.UserName == "root";
        if (asRoot)
        {
            await RunAsync("chown", "postgres:postgres", root);
        }

        await RunAsUserAsync(asRoot, Path.Combine(BinDirectory, "initdb"), "-D", data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8");
        await RunAsUserAsync(asRoot, Path.Combine(BinDirectory, "pg_ctl"), "-D", data, "-l", Path.Combine(root, "log"), "-w", "-t", "60",
            "-o", $"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off", "start");
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            RunAsUserAsync(asRoot, Path.Combine(BinDirectory, "pg_ctl"), "-D", data, "-m", "immediate", "stop").GetAwaiter().GetResult();
            Directory.Delete(root, recursive: true);
        };
        return $"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres;Pooling=false";
    }

    private static Task RunAsUserAsync(bool asRoot, string program, params string[] arguments) =>
        asRoot ? RunAsync("runuser", ["-u", "postgres", "--", program, .. arguments]) : RunAsync(program, arguments);

    private static async Task RunAsync(string program, params string[] arguments)
    {
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var process = ChildProcess.Start(program, arguments, output.Enqueue);
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} exited {process.ExitCode}:\n{string.Join('\n', output)}");
        }
    }
}
