using System.Diagnostics;
using System.Net.Sockets;

namespace RollbackFunctions.Local;

/// <summary>
/// Azurite from the repository's own npm dependency, run as a child process with on-disk data.
/// Installs it on first use. Stopped (with its process tree) on dispose.
/// </summary>
public sealed class AzuriteProcess : IAsyncDisposable
{
    private readonly Process process;

    private AzuriteProcess(Process process, int blobPort, int queuePort, int tablePort)
    {
        this.process = process;
        ConnectionString = ConnectionStringFor(blobPort, queuePort, tablePort);
    }

    /// <summary>Connection string of this Azurite, with the well-known development account.</summary>
    public string ConnectionString { get; }

    /// <summary>The development storage connection string for Azurite on the given ports.</summary>
    public static string ConnectionStringFor(int blobPort, int queuePort, int tablePort) =>
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;" +
        "AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;" +
        $"BlobEndpoint=http://127.0.0.1:{blobPort}/devstoreaccount1;" +
        $"QueueEndpoint=http://127.0.0.1:{queuePort}/devstoreaccount1;" +
        $"TableEndpoint=http://127.0.0.1:{tablePort}/devstoreaccount1;";

    /// <summary>Whether something accepts connections on a loopback port.</summary>
    public static async Task<bool> IsListeningAsync(int port)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync("127.0.0.1", port).WaitAsync(TimeSpan.FromSeconds(1));
            return true;
        }
        catch (Exception e) when (e is SocketException or TimeoutException)
        {
            return false;
        }
    }

    /// <summary>Starts Azurite on the given ports with data under <paramref name="dataDirectory"/> (or in memory), installing it first if needed.</summary>
    /// <param name="inMemory">
    /// Keep data in memory only (tests): Azurite otherwise saves its whole store to disk every few
    /// seconds, which costs more CPU and stalls it longer the more it holds.
    /// </param>
    public static async Task<AzuriteProcess> StartAsync(string repoRoot, string dataDirectory, int blobPort, int queuePort, int tablePort, Action<string> say, bool inMemory = false)
    {
        var entry = Path.Combine(repoRoot, "node_modules", "azurite", "dist", "src", "azurite.js");
        if (!File.Exists(entry))
        {
            say("Azurite is not installed yet: running 'npm ci' in the repository (once)...");
            await RunToEndAsync("npm", repoRoot, "ci", "--no-audit", "--no-fund", "--loglevel=error");
        }

        Directory.CreateDirectory(dataDirectory);
        // In a session of its own (setsid execs in place, so the process is node's): Ctrl+C or a
        // SIGTERM to the runtime's process group must not stop storage before the runtime has handed
        // over its leases; the runtime stops Azurite itself, last.
        var setsid = File.Exists("/usr/bin/setsid");
        var start = LocalChildProcess.StartInfo(setsid ? "/usr/bin/setsid" : "node", repoRoot);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;

        // Azurite refuses a location together with in-memory persistence.
        string[] persistence = inMemory ? ["--inMemoryPersistence"] : ["--location", dataDirectory];
        string[] arguments =
        [
            .. (setsid ? ["node"] : Array.Empty<string>()),
            // Named after its data directory, so whoever started it can find it in the process list
            // even when it keeps no data there (scripts/test.sh does).
            $"--title=azurite {dataDirectory}",
            // Azurite sends usage telemetry by default; its tracing hooks also cost CPU on every request.
            entry, "--silent", "--skipApiVersionCheck", "--disableTelemetry",
            "--blobHost", "127.0.0.1", "--blobPort", $"{blobPort}",
            "--queueHost", "127.0.0.1", "--queuePort", $"{queuePort}",
            "--tableHost", "127.0.0.1", "--tablePort", $"{tablePort}",
            .. persistence,
        ];
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start node");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) => { if (e.Data is { Length: > 0 }) say($"azurite: {e.Data}"); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var azurite = new AzuriteProcess(process, blobPort, queuePort, tablePort);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!(await IsListeningAsync(blobPort) && await IsListeningAsync(queuePort) && await IsListeningAsync(tablePort)))
        {
            if (process.HasExited || DateTime.UtcNow > deadline)
            {
                await azurite.DisposeAsync();
                throw new InvalidOperationException($"Azurite did not start on ports {blobPort}/{queuePort}/{tablePort}");
            }

            await Task.Delay(100);
        }

        return azurite;
    }

    /// <summary>The folder above <paramref name="start"/> that holds the repository's package.json.</summary>
    public static string? FindRepoRoot(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "package.json")) && File.Exists(Path.Combine(dir.FullName, "RollbackFunctions.sln")))
            {
                return dir.FullName;
            }
        }

        return null;
    }

    /// <summary>
    /// Stops Azurite the way Ctrl+C would (SIGTERM) rather than killing it: Azurite keeps its tables in
    /// memory and writes them to the data folder every 5 s and on a clean close, so a kill loses the
    /// last seconds of writes. Its close waits for open client connections to end, so it is killed
    /// after 6 s, by when the periodic save has run.
    /// </summary>
    public ValueTask DisposeAsync() => new(StopAsync(keepData: true));

    /// <summary>Stops Azurite; with <paramref name="keepData"/> false (throwaway data) it is simply killed.</summary>
    public async Task StopAsync(bool keepData)
    {
        if (!process.HasExited)
        {
            if (keepData && !OperatingSystem.IsWindows() && Kill(process.Id, SigTerm) == 0)
            {
                using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(6));
                try
                {
                    await process.WaitForExitAsync(patience.Token);
                }
                catch (OperationCanceledException)
                {
                    // did not stop in time: kill it below
                }
            }

            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
        }

        process.Dispose();
    }

    private const int SigTerm = 15;

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    private static async Task RunToEndAsync(string fileName, string workingDirectory, params string[] arguments)
    {
        var start = LocalChildProcess.StartInfo(fileName, workingDirectory);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {fileName}");
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{fileName} {string.Join(' ', arguments)} exited with {process.ExitCode}");
        }
    }
}
