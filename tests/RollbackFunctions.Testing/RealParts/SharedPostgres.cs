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

    /// <summary>Where initdb and postgres are: on PATH, else Debian's versioned folder.</summary>
    public static string? BinDirectory { get; } =
        new[] { "/usr/local/bin", "/usr/bin" }.FirstOrDefault(d => File.Exists(Path.Combine(d, "initdb")) && File.Exists(Path.Combine(d, "postgres")))
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
        if (BinDirectory is not { } bin)
        {
            return null;
        }

        // A port found free can be taken by another process of the run before PostgreSQL binds it
        // (initdb takes seconds): it then exits, its folder goes with it, and it starts again afresh.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await StartOnceAsync(bin);
            }
            catch (PortTakenException) when (attempt < 3)
            {
            }
        }
    }

    private sealed class PortTakenException(string message) : Exception(message);

    private static async Task<string> StartOnceAsync(string bin)
    {
        var root = Repo.TempFolder("postgres");
        var data = Path.Combine(root, "data");
        Directory.CreateDirectory(root);
        var asRoot = Environment.UserName == "root";
        if (asRoot)
        {
            await RunAsync("chown", "postgres:postgres", root);
        }

        await RunAsUserAsync(asRoot, Path.Combine(bin, "initdb"), "-D", data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8");
        // In the foreground, ended with this process however it ends (a daemon left by pg_ctl outlived
        // every test host that was killed at the end of its run). SIGINT is PostgreSQL's fast
        // shutdown; setpriv becomes postgres itself, so the signal reaches it (runuser would stay
        // between them and kill it 2 s after passing a signal on).
        var port = SharedAzurite.FreePort();
        string[] postgres = [Path.Combine(bin, "postgres"), "-D", data, "-p", $"{port}", "-k", root, "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"];
        string[] server = asRoot ? ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--", .. postgres] : postgres;
        var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var running = ChildProcess.StartBoundToThisProcess(server[0], server[1..], root, "INT", log.Enqueue);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => ChildProcess.EndBound(running);
        var connection = $"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres;Pooling=false";
        await Eventually.HoldsAsync(
            async () =>
            {
                if (!running.HasExited)
                {
                    return await AcceptsAsync(connection);
                }

                await running.WaitForExitAsync(); // and for the last of its output
                throw log.Any(line => line.Contains("Address already in use", StringComparison.Ordinal))
                    ? new PortTakenException($"port {port} was taken")
                    : new InvalidOperationException($"PostgreSQL exited:\n{string.Join('\n', log)}");
            },
            TimeSpan.FromSeconds(60), () => $"PostgreSQL did not start:\n{string.Join('\n', log)}", TimeSpan.FromMilliseconds(100));
        return connection;
    }

    private static async Task<bool> AcceptsAsync(string connection)
    {
        try
        {
            await using var db = new NpgsqlConnection(connection);
            await db.OpenAsync();
            return true;
        }
        catch (NpgsqlException)
        {
            return false; // not listening yet, or still starting up
        }
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
