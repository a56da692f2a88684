using System.Diagnostics;
using System.Text;

namespace RollbackFunctions.Integration.Tests.Support;

/// <summary>
/// The local runtime as its own OS process, exactly as <c>dotnet run</c> starts it, so a test can
/// kill it without warning and start another on the same storage and task hub.
/// </summary>
internal sealed class RuntimeProcess : IAsyncDisposable
{
    private readonly Process process;
    private readonly StringBuilder output = new();

    private RuntimeProcess(Process process, string baseUrl)
    {
        this.process = process;
        BaseUrl = baseUrl;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string BaseUrl { get; }

    public string Output
    {
        get
        {
            lock (output)
            {
                return output.ToString();
            }
        }
    }

    public static async Task<RuntimeProcess> StartAsync(IEnumerable<string> settings)
    {
        var dll = Path.Combine(Repo.BuildOutput("RollbackFunctions.Local"), "RollbackFunctions.Local.dll");
        Assert.True(File.Exists(dll), $"{dll} is missing: build the solution first");
        var baseUrl = $"http://127.0.0.1:{SharedAzurite.FreePort()}";
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path.GetDirectoryName(dll)! };
        foreach (var argument in new[] { dll, "--urls", baseUrl }.Concat(settings.Select(s => $"--{s}")))
        {
            start.ArgumentList.Add(argument);
        }

        var runtime = new RuntimeProcess(Process.Start(start)!, baseUrl);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                using var health = await http.GetAsync($"{baseUrl}/api/health");
                if (health.IsSuccessStatusCode)
                {
                    return runtime;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
            }

            if (runtime.process.HasExited || DateTime.UtcNow > deadline)
            {
                await runtime.DisposeAsync();
                Assert.Fail($"the local runtime did not become healthy:\n{runtime.Output}");
            }

            await Task.Delay(200);
        }
    }

    /// <summary>Ends the process at once, as a crash or an OOM kill would.</summary>
    public void Crash()
    {
        process.Kill(entireProcessTree: true);
        process.WaitForExit();
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
        }
    }
}
