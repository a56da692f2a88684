using System.Diagnostics;

namespace RollbackFunctions.Integration.Tests.Support;

/// <summary>Runs a command-line tool to the end, arguments one by one, and returns its exit code and output.</summary>
internal static class Tool
{
    /// <summary>The program's path on PATH, or a skip (a failure under CI=true) naming what installs it.</summary>
    public static string OnPath(string program, string installedBy)
    {
        var path = Environment.GetEnvironmentVariable("PATH")!.Split(':').Select(d => Path.Combine(d, program)).FirstOrDefault(File.Exists);
        RealParts.Require(path is not null, $"{program} ({installedBy})");
        return path!;
    }

    public static async Task<(int Exit, string Output)> RunAsync(string path, IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        var (exit, output, error) = await RunApartAsync(path, environment, arguments);
        return (exit, output + error);
    }

    /// <summary>As <see cref="RunAsync"/>, standard output and standard error apart (a tool that prints JSON and a banner).</summary>
    public static async Task<(int Exit, string Output, string Error)> RunApartAsync(string path, IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        var start = new ProcessStartInfo(path) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output, await error);
    }
}
