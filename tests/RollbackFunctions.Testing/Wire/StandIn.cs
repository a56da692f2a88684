using System.Diagnostics;

namespace RollbackFunctions.Testing;

/// <summary>
/// A stand-in executable for a binary that cannot be installed here (helm, terraform): a bash
/// script at a path the test configures, recording every call (working directory, then each
/// argument, tab-separated) in <c>calls.log</c> of its state folder and answering from files there.
/// </summary>
public sealed class StandIn : IDisposable
{
    private StandIn(string folder, string path)
    {
        Folder = folder;
        Path = path;
    }

    /// <summary>The state folder: calls.log, and the files the script answers from.</summary>
    public string Folder { get; }

    /// <summary>The executable to configure.</summary>
    public string Path { get; }

    /// <summary>One entry per call: the working directory, then the arguments.</summary>
    public IReadOnlyList<string[]> Calls =>
        File.Exists(Log) ? File.ReadAllLines(Log).Select(line => line.Split('\t')).ToList() : [];

    private string Log => System.IO.Path.Combine(Folder, "calls.log");

    /// <summary>Writes the script; <paramref name="body"/> sees <c>$state</c> (the folder) and the arguments.</summary>
    public static StandIn Create(string name, string body)
    {
        var folder = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"standin-{name}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        var path = System.IO.Path.Combine(folder, name);
        File.WriteAllText(path, $$"""
            #!/usr/bin/env bash
            state='{{folder}}'
            { printf '%s' "$PWD"; printf '\t%s' "$@"; printf '\n'; } >> "$state/calls.log"
            {{body}}
            """.Replace("\r\n", "\n", StringComparison.Ordinal));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        return new StandIn(folder, path);
    }

    public void Write(string file, string content) => File.WriteAllText(System.IO.Path.Combine(Folder, file), content);

    public string Read(string file) => File.ReadAllText(System.IO.Path.Combine(Folder, file));

    public bool Has(string file) => File.Exists(System.IO.Path.Combine(Folder, file));

    public void Dispose() => Directory.Delete(Folder, recursive: true);
}

/// <summary>A real git repository in a temporary folder, committed to by the test.</summary>
public sealed class GitRepository : IDisposable
{
    private GitRepository(string path) => Path = path;

    public string Path { get; }

    public static GitRepository Create()
    {
        var repository = new GitRepository(System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"repo-{Guid.NewGuid():N}"));
        Directory.CreateDirectory(repository.Path);
        repository.Git("init", "--quiet", "--initial-branch=main");
        repository.Git("config", "user.email", "ci@example.com");
        repository.Git("config", "user.name", "ci");
        return repository;
    }

    /// <summary>Writes files and commits them; returns the commit.</summary>
    public string Commit(string message, params (string File, string Content)[] files)
    {
        foreach (var (file, content) in files)
        {
            var full = System.IO.Path.Combine(Path, file);
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
            File.WriteAllText(full, content);
        }

        Git("add", "--all");
        Git("commit", "--quiet", "-m", message);
        return Git("rev-parse", "HEAD").Trim();
    }

    public string Git(params string[] arguments) => Run(Path, arguments);

    /// <summary>A bare repository (a remote), read with git --git-dir.</summary>
    public sealed record Bare(string GitDir)
    {
        public string Git(params string[] arguments) => Run(GitDir, ["--git-dir", GitDir, .. arguments]);
    }

    private static string Run(string directory, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo("git") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = directory };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0 ? output : throw new InvalidOperationException($"git {string.Join(' ', arguments)}: {error}");
    }

    public void Dispose()
    {
        foreach (var file in Directory.EnumerateFiles(Path, "*", SearchOption.AllDirectories))
        {
            File.SetAttributes(file, FileAttributes.Normal);
        }

        Directory.Delete(Path, recursive: true);
    }
}
