using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using RollbackFunctions.Core.Executors;
using RollbackFunctions.Core.Ports;
using RollbackFunctions.Infrastructure.Executors.Processes;
using RollbackFunctions.Infrastructure.Notifications;

namespace RollbackFunctions.Infrastructure.Executors.Git;

/// <summary>
/// <c>gitRevert</c>: the rollback that lasts under GitOps is in git. Clones the configured repository's
/// <c>branch</c> into a temporary directory (always removed), runs <c>git revert --no-edit</c> of the
/// deploy's <c>commit</c>, and either pushes it to the branch (<c>mode: push</c>, retried after a fetch
/// and rebase when the branch moved) or pushes <c>rollback/&lt;rollbackId&gt;</c> and opens a pull request
/// with the evidence (<c>mode: pullRequest</c>, the default). A push the server declines (branch
/// protection) is a final refusal, or with <c>fallback: pullRequest</c> a pull request instead. A conflict fails the step naming the
/// paths, never a forced push. Idempotent: a revert already on the branch, or the rollback branch
/// already pushed, is reverted without change. The token travels in git's environment, never in
/// arguments or URLs.
/// </summary>
public sealed partial class GitRevertExecutor(IOptions<GitOptions> options, ProcessRunner processes, PullRequests pullRequests, IOptions<NotificationOptions> notifications) : IStepExecutor
{
    public string Kind => "gitRevert";

    public string? ValidateParams(JsonObject parameters) => Read(parameters, out _);

    public async Task<StepRevertResult> RevertAsync(StepRevertRequest request, CancellationToken cancellationToken)
    {
        if (Read(request.Params, out var step) is { } problem)
        {
            return StepRevertResult.Failed(problem);
        }

        try
        {
            return await InCloneAsync(step, $"{request.RollbackId}-{request.StepId}", clone => RevertInAsync(step, clone, request, cancellationToken),
                cloneFailed: why => throw new StepUnavailableException(why), cancellationToken);
        }
        catch (InvalidOperationException e)
        {
            return StepRevertResult.Failed($"{step.Name}: {e.Message}");
        }
    }

    /// <summary>
    /// Clones the step's branch into a scratch folder under <c>WorkRoot</c>, runs <paramref name="work"/>
    /// in it and removes it whatever happens; a clone that fails is answered by <paramref name="cloneFailed"/>.
    /// </summary>
    private async Task<T> InCloneAsync<T>(GitStep step, string name, Func<string, Task<T>> work, Func<string, T> cloneFailed, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(options.Value.WorkRoot);
        var clone = Path.Combine(options.Value.WorkRoot, $"{name}-{Guid.NewGuid():N}");
        try
        {
            var cloned = await RunAsync(step, options.Value.WorkRoot, cancellationToken, "clone", "--quiet", "--no-tags", "--single-branch", "--branch", step.Branch, "--", step.Repository.Url, clone);
            return cloned.ExitCode != 0 ? cloneFailed($"could not clone {step.Branch} of {step.Name}: {cloned.Tail()}") : await work(clone);
        }
        finally
        {
            DeleteClone(clone);
        }
    }

    /// <summary>The deploy's commit, resolved in the clone, when it is on the branch; otherwise null.</summary>
    private async Task<string?> CommitOnBranchAsync(GitStep step, string clone, CancellationToken cancellationToken)
    {
        var resolved = await RunAsync(step, clone, cancellationToken, "rev-parse", "--verify", "--quiet", "--end-of-options", step.Commit + "^{commit}");
        var commit = resolved.StandardOutput.Trim();
        return resolved.ExitCode == 0 && (await RunAsync(step, clone, cancellationToken, "merge-base", "--is-ancestor", commit, "HEAD")).ExitCode == 0 ? commit : null;
    }

    private async Task<StepRevertResult> RevertInAsync(GitStep step, string clone, StepRevertRequest request, CancellationToken cancellationToken)
    {
        if (await CommitOnBranchAsync(step, clone, cancellationToken) is not { } commit)
        {
            return StepRevertResult.Failed($"commit {step.Commit} is not on {step.Branch} of {step.Name}: nothing to revert there");
        }

        var short12 = commit[..12];
        if (await RevertOnAsync(step, clone, commit, "HEAD", cancellationToken) is { } existing)
        {
            return StepRevertResult.Unchanged($"{short12} is already reverted on {step.Branch} of {step.Name} by {existing[..12]}; nothing changed");
        }

        var rollbackBranch = $"rollback/{request.RollbackId}";
        if ((step.Mode == GitMode.PullRequest || step.FallbackToPullRequest)
            && (await RunAsync(step, clone, cancellationToken, "ls-remote", "--heads", "origin", rollbackBranch)).StandardOutput.Trim().Length > 0)
        {
            // Pushed by an earlier attempt: only the pull request may be missing.
            var url = await pullRequests.OpenAsync(step.Repository, PullRequestFor(step, commit, rollbackBranch, request), cancellationToken);
            return StepRevertResult.Reverted($"pull request {url} reverts {short12} on {step.Branch} of {step.Name} (branch {rollbackBranch} was already pushed); merge it to finish the rollback");
        }

        var parents = (await RunAsync(step, clone, cancellationToken, "rev-list", "--parents", "-n", "1", commit)).StandardOutput.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length - 1;
        string[] mainline = parents > 1 ? ["-m", "1"] : [];
        // Approved over a drift: conflicting hunks take the side from before the commit (git revert's "theirs").
        string[] overDrift = request.OverrideDrift ? ["--strategy-option=theirs"] : [];
        var reverted = await RunAsync(step, clone, cancellationToken, ["revert", "--no-edit", .. mainline, .. overDrift, commit]);
        if (reverted.ExitCode != 0)
        {
            var conflicted = (await RunAsync(step, clone, cancellationToken, "diff", "--name-only", "--diff-filter=U")).StandardOutput
                .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            await RunAsync(step, clone, CancellationToken.None, "revert", "--abort");
            // A conflict is git's own three-state check failing: later commits changed the lines this deploy made.
            return conflicted.Length > 0
                ? StepRevertResult.Drifted($"drift: commit {short12} on {step.Branch} of {step.Name} is no longer what the branch holds: later commits changed the same lines in {string.Join(", ", conflicted)}; approving reverts it anyway, keeping the pre-deploy side of those lines")
                : StepRevertResult.Failed($"git revert of {short12} failed: {reverted.Tail()}");
        }

        return step.Mode == GitMode.Push
            ? await PushAsync(step, clone, commit, rollbackBranch, request, cancellationToken)
            : await OpenPullRequestAsync(step, clone, commit, rollbackBranch, request, cancellationToken);
    }

    /// <summary>
    /// Pushes the revert; a branch that moved meanwhile is fetched and rebased onto, then pushed again.
    /// A push the server declines (<c>[remote rejected]</c>: branch protection or a hook) is final, not
    /// retried; with <c>params.fallback: pullRequest</c> the revert goes out as a pull request instead.
    /// </summary>
    private async Task<StepRevertResult> PushAsync(GitStep step, string clone, string commit, string rollbackBranch, StepRevertRequest request, CancellationToken cancellationToken)
    {
        var what = $"{commit[..12]} on {step.Branch} of {step.Name}";
        for (var attempt = 1; ; attempt++)
        {
            var pushed = await RunAsync(step, clone, cancellationToken, "push", "--quiet", "origin", $"HEAD:refs/heads/{step.Branch}");
            if (pushed.ExitCode == 0)
            {
                var head = (await RunAsync(step, clone, cancellationToken, "rev-parse", "HEAD")).StandardOutput.Trim();
                return StepRevertResult.Reverted($"pushed {head[..12]}, the revert of {what}");
            }

            if (DeclinedByTheServer(pushed))
            {
                var refusal = $"{step.Branch} of {step.Name} is protected: the server declined the push ({DeclineReason(pushed)})";
                if (!step.FallbackToPullRequest)
                {
                    return StepRevertResult.Failed($"{refusal}; nothing pushed. Revert through a pull request (params.mode: pullRequest, or params.fallback: pullRequest)");
                }

                var opened = await OpenPullRequestAsync(step, clone, commit, rollbackBranch, request, cancellationToken);
                return opened with { Detail = $"{refusal}; {opened.Detail}" };
            }

            if (attempt >= options.Value.PushAttempts)
            {
                throw new StepUnavailableException($"could not push the revert of {what} after {attempt} attempts: {pushed.Tail()}");
            }

            await RunAsync(step, clone, cancellationToken, "fetch", "--quiet", "origin", step.Branch);
            if (await RevertOnAsync(step, clone, commit, "FETCH_HEAD", cancellationToken) is { } meanwhile)
            {
                return StepRevertResult.Unchanged($"{what} was reverted meanwhile by {meanwhile[..12]}; nothing pushed");
            }

            if ((await RunAsync(step, clone, cancellationToken, "rebase", "--quiet", "FETCH_HEAD")).ExitCode != 0)
            {
                await RunAsync(step, clone, CancellationToken.None, "rebase", "--abort");
                return StepRevertResult.Failed($"{step.Branch} of {step.Name} moved and the revert of {commit[..12]} no longer applies on it; revert by hand");
            }
        }
    }

    private async Task<StepRevertResult> OpenPullRequestAsync(GitStep step, string clone, string commit, string rollbackBranch, StepRevertRequest request, CancellationToken cancellationToken)
    {
        var pushed = await RunAsync(step, clone, cancellationToken, "push", "--quiet", "origin", $"HEAD:refs/heads/{rollbackBranch}");
        if (pushed.ExitCode != 0)
        {
            throw new StepUnavailableException($"could not push {rollbackBranch} to {step.Name}: {pushed.Tail()}");
        }

        var url = await pullRequests.OpenAsync(step.Repository, PullRequestFor(step, commit, rollbackBranch, request), cancellationToken);
        return StepRevertResult.Reverted($"pull request {url} reverts {commit[..12]} on {step.Branch} of {step.Name}; merge it to finish the rollback");
    }

    private PullRequest PullRequestFor(GitStep step, string commit, string rollbackBranch, StepRevertRequest request)
    {
        var status = $"{notifications.Value.PublicBaseUrl.TrimEnd('/')}/api/rollbacks/{request.RollbackId}";
        var body = new StringBuilder()
            .AppendLine($"Rollback **{request.RollbackId}** of deploy **{request.DeployId}** ({request.Version}, back to {request.PreviousVersion ?? "the previous version"}) reverts {commit}.")
            .AppendLine()
            .AppendLine($"- Status, evidence and audit trail: {status}")
            .AppendLine($"- Step `{request.StepId}`; the GitOps controller stays held until an operator resumes it.")
            .AppendLine()
            .AppendLine("Opened by RollbackFunctions. Merging finishes the rollback in git.")
            .ToString();
        return new PullRequest(rollbackBranch, step.Branch, $"Rollback {request.DeployId}: revert {commit[..12]}", body);
    }

    /// <summary>The commit on <paramref name="tip"/> that reverts <paramref name="commit"/> (git revert's own message says so), or null.</summary>
    private async Task<string?> RevertOnAsync(GitStep step, string clone, string commit, string tip, CancellationToken cancellationToken)
    {
        var found = await RunAsync(step, clone, cancellationToken, "log", "--format=%H", "-n", "1", "--fixed-strings", $"--grep=This reverts commit {commit}", tip);
        return found.StandardOutput.Trim() is { Length: > 0 } hash ? hash : null;
    }

    private Task<ProcessResult> RunAsync(GitStep step, string directory, CancellationToken cancellationToken, params string[] arguments) =>
        processes.RunAsync(options.Value.Path, arguments, directory, options.Value.CommandTimeout, cancellationToken, EnvironmentOf(step.Repository));

    /// <summary>Identity and credentials through git's environment: nothing secret in arguments, URLs or on disk.</summary>
    private static Dictionary<string, string?> EnvironmentOf(GitRepositoryOptions repository)
    {
        var author = AuthorShape().Match(repository.Author);
        var (name, email) = author.Success ? (author.Groups["name"].Value.Trim(), author.Groups["email"].Value) : ("RollbackFunctions", "rollback@localhost");
        var environment = new Dictionary<string, string?>
        {
            ["GIT_TERMINAL_PROMPT"] = "0",
            ["GIT_AUTHOR_NAME"] = name,
            ["GIT_AUTHOR_EMAIL"] = email,
            ["GIT_COMMITTER_NAME"] = name,
            ["GIT_COMMITTER_EMAIL"] = email,
            ["GIT_CONFIG_NOSYSTEM"] = "1",
            ["GIT_CONFIG_COUNT"] = "0",
        };
        if (!string.IsNullOrEmpty(repository.Token))
        {
            var user = repository.Provider == GitProvider.GitHub ? "x-access-token" : "rollback";
            environment["GIT_CONFIG_COUNT"] = "1";
            environment["GIT_CONFIG_KEY_0"] = "http.extraHeader";
            environment["GIT_CONFIG_VALUE_0"] = "Authorization: Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{repository.Token}"));
        }

        return environment;
    }

    private static void DeleteClone(string clone)
    {
        if (!Directory.Exists(clone))
        {
            return;
        }

        // git writes its objects read-only.
        foreach (var file in Directory.EnumerateFiles(clone, "*", SearchOption.AllDirectories))
        {
            File.SetAttributes(file, FileAttributes.Normal);
        }

        Directory.Delete(clone, recursive: true);
    }

    private string? Read(JsonObject parameters, out GitStep step)
    {
        var p = new StepParams(parameters).OnlyKnown("repository", "commit", "branch", "mode", "fallback");
        var name = p.Matching("repository", RepositoryName(), "must be a repository name");
        var commit = p.Matching("commit", CommitId(), "must be a commit id (7 to 40 hex digits)");
        var branch = p.Matching("branch", BranchName(), "must be a branch name (letters, digits, '.', '_', '-', '/'; not starting with '-'; no '..')");
        var mode = p.Text("mode", required: false) switch
        {
            null or "pullRequest" => GitMode.PullRequest,
            "push" => GitMode.Push,
            var other => Invalid(p, other),
        };
        GitRepositoryOptions? repository = null;
        if (name is not null && !options.Value.Repositories.TryGetValue(name, out repository))
        {
            var known = options.Value.Repositories.Keys.Order(StringComparer.Ordinal).ToList();
            p.Add("repository", $"'{name}' is not a configured repository; {(known.Count == 0 ? "none is configured (Rollback:Executors:Git:Repositories)" : $"configured: {string.Join(", ", known)}")}");
        }

        var fallback = p.Text("fallback", required: false);
        if (fallback is not null && (fallback != "pullRequest" || mode != GitMode.Push))
        {
            p.Add("fallback", "may only be 'pullRequest', with mode 'push': a push the branch protection refuses then goes out as a pull request");
        }

        step = new GitStep(name ?? "", repository ?? new GitRepositoryOptions(), commit ?? "", branch ?? "", mode, fallback == "pullRequest");
        return p.Problem;
    }

    private static GitMode Invalid(StepParams p, string mode)
    {
        p.Add("mode", $"must be 'pullRequest' or 'push', not '{mode}'");
        return GitMode.PullRequest;
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")]
    private static partial Regex RepositoryName();

    [GeneratedRegex("^[0-9a-fA-F]{7,40}$")]
    private static partial Regex CommitId();

    [GeneratedRegex(@"^(?!-)(?!.*\.\.)(?!.*//)(?!.*\.lock$)[A-Za-z0-9._/-]{1,200}$")]
    private static partial Regex BranchName();

    [GeneratedRegex(@"^(?<name>[^<>]+)<(?<email>[^<>\s]+)>$")]
    private static partial Regex AuthorShape();

    private enum GitMode
    {
        PullRequest,
        Push,
    }

    private sealed record GitStep(string Name, GitRepositoryOptions Repository, string Commit, string Branch, GitMode Mode, bool FallbackToPullRequest = false);
}
