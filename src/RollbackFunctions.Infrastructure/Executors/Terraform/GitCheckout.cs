using RollbackFunctions.Infrastructure.Executors.Processes;

namespace RollbackFunctions.Infrastructure.Executors.Terraform;

/// <summary>
/// The local git checkout of an infrastructure repository: fetched before a ref is resolved (a
/// release tag pushed after the checkout was made must be found), and worktrees of one commit.
/// </summary>
internal sealed class GitCheckout(ProcessRunner processes, string git, string repository)
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(2);

    /// <summary>Fetches branches and tags from <c>origin</c>; null when done or when the checkout has no remote.</summary>
    public async Task<string?> FetchAsync(CancellationToken cancellationToken)
    {
        var remotes = await GitAsync(cancellationToken, "remote");
        if (remotes.ExitCode != 0)
        {
            return remotes.Tail();
        }

        if (!remotes.StandardOutput.Split('\n').Contains("origin"))
        {
            return null;
        }

        var fetched = await GitAsync(cancellationToken, "fetch", "--quiet", "--tags", "--force", "origin", "+refs/heads/*:refs/remotes/origin/*");
        return fetched.ExitCode == 0 ? null : fetched.Tail();
    }

    /// <summary>The commit <paramref name="reference"/> names (a local ref, a tag, or a branch of origin), or null.</summary>
    public async Task<string?> ResolveAsync(string reference, CancellationToken cancellationToken)
    {
        foreach (var candidate in new[] { reference, $"refs/remotes/origin/{reference}" })
        {
            var resolved = await GitAsync(cancellationToken, "rev-parse", "--verify", "--quiet", "--end-of-options", $"{candidate}^{{commit}}");
            if (resolved.ExitCode == 0)
            {
                return resolved.StandardOutput.Trim();
            }
        }

        return null;
    }

    /// <summary>Checks <paramref name="commit"/> out at <paramref name="worktree"/>; null when done, else git's words.</summary>
    public async Task<string?> AddWorktreeAsync(string worktree, string commit, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(worktree)!);
        var added = await GitAsync(cancellationToken, "worktree", "add", "--detach", worktree, commit);
        if (added.ExitCode == 0)
        {
            return null;
        }

        // The commit may have been pushed after the last fetch.
        if (await FetchAsync(cancellationToken) is null)
        {
            added = await GitAsync(cancellationToken, "worktree", "add", "--detach", worktree, commit);
        }

        return added.ExitCode == 0 ? null : added.Tail();
    }

    /// <summary>Removes a worktree and its folder, whatever state it is in.</summary>
    public async Task RemoveWorktreeAsync(string worktree)
    {
        if (Directory.Exists(worktree))
        {
            await GitAsync(CancellationToken.None, "worktree", "remove", "--force", worktree);
            if (Directory.Exists(worktree))
            {
                Directory.Delete(worktree, recursive: true);
            }
        }

        await GitAsync(CancellationToken.None, "worktree", "prune");
    }

    private Task<ProcessResult> GitAsync(CancellationToken cancellationToken, params string[] arguments) =>
        processes.RunAsync(git, ["-C", repository, .. arguments], repository, Limit, cancellationToken);
}
