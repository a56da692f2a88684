using RollbackFunctions.Infrastructure.Executors.Processes;

namespace RollbackFunctions.Infrastructure.Executors.Git;

/// <summary>Telling a push the server declines (final) from one that lost a race (worth a rebase).</summary>
public sealed partial class GitRevertExecutor
{
    /// <summary>
    /// git reports a ref the server refused as <c>! [remote rejected] HEAD -> main (reason)</c>: branch
    /// protection (GitHub's GH006, GitLab's "protected branches"), a pre-receive hook, a policy. A
    /// branch that merely moved is <c>! [rejected] ... (fetch first)</c> instead, and worth a rebase.
    /// </summary>
    private static bool DeclinedByTheServer(ProcessResult pushed) =>
        pushed.StandardError.Contains("[remote rejected]", StringComparison.Ordinal)
        || pushed.StandardError.Contains("protected branch", StringComparison.OrdinalIgnoreCase);

    /// <summary>The server's own words (its "remote: error:" lines), for the step's detail.</summary>
    private static string DeclineReason(ProcessResult pushed)
    {
        var said = pushed.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(line => line.StartsWith("remote:", StringComparison.Ordinal))
            .Select(line => line["remote:".Length..].Trim())
            .Where(line => line.Length > 0)
            .ToList();
        return said.Count > 0 ? string.Join(" ", said) : pushed.Tail();
    }
}
