using RollbackFunctions.Local;

namespace RollbackFunctions.Testing;

/// <summary>Paths inside this repository, found from the test binaries.</summary>
public static class Repo
{
    public static string Root { get; } = AzuriteProcess.FindRepoRoot(AppContext.BaseDirectory)
        ?? throw new InvalidOperationException("tests must run from inside the repository");

    /// <summary>Debug or Release: the configuration these tests were built with, so siblings are looked up in the same.</summary>
    public static string Configuration { get; } =
        new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name; // bin/<Configuration>/net10.0

    public static string BuildOutput(string project) => Path.Combine(Root, "src", project, "bin", Configuration, "net10.0");

    /// <summary>
    /// A new folder path under the temp folder for a real part's data, named
    /// <c>rollback-{part}-{run}-…</c>: scripts/test.sh names its run (ROLLBACK_TEST_RUN), so it can
    /// stop and remove what a test host killed before its exit handlers ran left behind.
    /// </summary>
    public static string TempFolder(string part)
    {
        var run = Environment.GetEnvironmentVariable("ROLLBACK_TEST_RUN") is { Length: > 0 } name ? $"{name}-" : "";
        return Path.Combine(Path.GetTempPath(), $"rollback-{part}-{run}{Guid.NewGuid():N}");
    }

    /// <summary>A name no other test run uses, letters and digits only (Table and task hub names).</summary>
    public static string UniqueName(string prefix) => $"{prefix}{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 12, 40)];
}
