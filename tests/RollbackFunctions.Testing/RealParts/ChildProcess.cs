using System.Diagnostics;

namespace RollbackFunctions.Testing;

/// <summary>Starting, probing and stopping the real programs the tests run beside themselves.</summary>
public static class ChildProcess
{
    /// <summary>Starts a program with its arguments passed one by one (never through a shell), draining its output.</summary>
    public static Process Start(string fileName, IEnumerable<string> arguments, Action<string>? output = null, string? workingDirectory = null) =>
        Start(new ProcessStartInfo(fileName) { WorkingDirectory = workingDirectory ?? "" }, arguments, output);

    /// <summary>
    /// Starts a .NET program of this repository (its dll) for a test that lives seconds to a minute.
    /// Tiered compilation counts calls only after 5 s without new methods to compile, instead of
    /// 100 ms: otherwise every method called 30 times while the program starts is compiled a second
    /// time, optimised, and most are never called again. A standalone local runtime used 47-50 CPU
    /// ticks in the 20 s after answering health this way, against 128-137 (and 30 more to start).
    /// scripts/test.sh goes further for every process of the test run, the test hosts too: it turns
    /// call counting off (DOTNET_TC_CallCounting=0, inherited here), and this delay is then moot. It
    /// still serves a test run started some other way (an IDE, a bare dotnet test).
    /// </summary>
    public static Process StartShortLivedDotnet(string dll, IEnumerable<string> arguments, Action<string>? output = null)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = Path.GetDirectoryName(dll)! };
        start.Environment["DOTNET_TC_CallCountingDelayMs"] = "5000";
        return Start(start, [dll, .. arguments], output);
    }

    /// <summary>
    /// As <see cref="Start(string, IEnumerable{string}, Action{string}?, string?)"/>, for a program
    /// shared by the tests of this process that must not outlive it, however it ends: a test host
    /// killed at the end of a run runs no exit handler. A shell starts the program and stops it with
    /// <paramref name="stopSignal"/> once the shell's standard input, a pipe only this process
    /// writes to, closes (<see cref="EndBound"/>, or this process gone); when the program has ended,
    /// for whatever reason, the shell removes <paramref name="folder"/>, the program's data, and
    /// exits with the program's status, so <see cref="Process.HasExited"/> tells of the program.
    /// The program starts as a background job, with SIGINT and SIGQUIT ignored: the stop signal is
    /// TERM, or one the program handles itself (PostgreSQL's INT).
    /// </summary>
    public static Process StartBoundToThisProcess(string fileName, IEnumerable<string> arguments, string folder, string stopSignal, Action<string>? output = null)
    {
        // The shell's own input is kept as fd 3 (a background job's standard input is /dev/null).
        // The stopper is stopped once the program ended, so it never signals a process that took the
        // program's id since; its cat, left reading, ends with this process.
        const string Script = """
            folder=$1; signal=$2; shift 2
            exec 3<&0
            "$@" </dev/null 3<&- & program=$!
            { cat <&3 >/dev/null; kill -s "$signal" "$program"; } >/dev/null 2>&1 & stopper=$!
            exec 3<&-
            wait "$program"; status=$?
            kill "$stopper" 2>/dev/null
            rm -rf "$folder"
            exit "$status"
            """;
        return Start(new ProcessStartInfo("/bin/sh") { RedirectStandardInput = true }, ["-c", Script, "sh", folder, stopSignal, fileName, .. arguments], output);
    }

    /// <summary>Ends a program of <see cref="StartBoundToThisProcess"/> and waits until its folder is gone.</summary>
    public static void EndBound(Process process)
    {
        process.StandardInput.Close();
        process.WaitForExit(TimeSpan.FromSeconds(10));
        process.Dispose();
    }

    private static Process Start(ProcessStartInfo start, IEnumerable<string> arguments, Action<string>? output)
    {
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {start.FileName}");
        process.OutputDataReceived += (_, e) => Forward(e.Data);
        process.ErrorDataReceived += (_, e) => Forward(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;

        void Forward(string? line)
        {
            if (line is not null)
            {
                output?.Invoke(line);
            }
        }
    }

    /// <summary>Waits until <paramref name="url"/> answers 2xx; fails the test if the process exits or time runs out.</summary>
    public static async Task WaitUntilReadyAsync(Process process, string url, TimeSpan timeout, Func<string> describe)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                using var response = await http.GetAsync(url);
                // A reply after the process exited is another server's, on the port it could not bind.
                if (response.IsSuccessStatusCode && !process.HasExited)
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // not listening yet
            }

            Assert.True(DateTime.UtcNow < deadline && !process.HasExited, describe());
            await Task.Delay(200);
        }
    }

    /// <summary>
    /// Starts a server on a free loopback port and waits until it is ready. A port found free can be
    /// taken by another process of the run before the server binds it; the server then exits, and is
    /// started again on another port (at most three tries). A server that never became ready is stopped.
    /// </summary>
    public static async Task<(Process Process, int Port)> StartOnFreePortAsync(Func<int, Process> start, Func<Process, int, Task> waitUntilReady)
    {
        for (var attempt = 1; ; attempt++)
        {
            var port = SharedAzurite.FreePort();
            var process = start(port);
            try
            {
                await waitUntilReady(process, port);
                return (process, port);
            }
            catch when (attempt < 3 && process.HasExited)
            {
                process.Dispose();
            }
            catch
            {
                await StopAsync(process);
                throw;
            }
        }
    }

    /// <summary>Kills the process and its children at once, as a crash would.</summary>
    public static async Task StopAsync(Process process)
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process.Dispose();
    }
}
