using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Executors;

namespace RollbackFunctions.Infrastructure.Executors.Git;

public sealed partial class GitRevertExecutor
{
    /// <summary>
    /// The revert made in a scratch clone and never pushed: a conflict with later commits is found
    /// now, not mid-incident. The clone is removed whatever happens; the remote is only read.
    /// </summary>
    public async Task<StepRehearsal> RehearseAsync(StepRevertRequest request, CancellationToken cancellationToken)
    {
        if (Read(request.Params, out var step) is { } problem)
        {
            return StepRehearsal.Fails(problem);
        }

        Directory.CreateDirectory(options.Value.WorkRoot);
        var clone = Path.Combine(options.Value.WorkRoot, $"rehearsal-{request.DeployId}-{request.StepId}-{Guid.NewGuid():N}");
        try
        {
            var cloned = await RunAsync(step, options.Value.WorkRoot, cancellationToken, "clone", "--quiet", "--no-tags", "--single-branch", "--branch", step.Branch, "--", step.Repository.Url, clone);
            if (cloned.ExitCode != 0)
            {
                return StepRehearsal.Fails($"could not clone {step.Branch} of {step.Name}: {cloned.Tail()}");
            }

            var resolved = await RunAsync(step, clone, cancellationToken, "rev-parse", "--verify", "--quiet", "--end-of-options", step.Commit + "^{commit}");
            var commit = resolved.StandardOutput.Trim();
            if (resolved.ExitCode != 0 || (await RunAsync(step, clone, cancellationToken, "merge-base", "--is-ancestor", commit, "HEAD")).ExitCode != 0)
            {
                return StepRehearsal.NotRehearsable($"commit {step.Commit} is not on {step.Branch} of {step.Name} yet: rehearse once it is");
            }

            var parents = (await RunAsync(step, clone, cancellationToken, "rev-list", "--parents", "-n", "1", commit)).StandardOutput.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length - 1;
            string[] mainline = parents > 1 ? ["-m", "1"] : [];
            var reverted = await RunAsync(step, clone, cancellationToken, ["revert", "--no-edit", .. mainline, commit]);
            if (reverted.ExitCode == 0)
            {
                return StepRehearsal.Ok($"{commit[..12]} reverts cleanly on {step.Branch} of {step.Name} as it is now (not pushed)");
            }

            var conflicted = (await RunAsync(step, clone, cancellationToken, "diff", "--name-only", "--diff-filter=U")).StandardOutput
                .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            return StepRehearsal.Fails(conflicted.Length > 0
                ? $"reverting {commit[..12]} on {step.Branch} of {step.Name} conflicts in {string.Join(", ", conflicted)}"
                : $"git revert of {commit[..12]} failed: {reverted.Tail()}");
        }
        catch (InvalidOperationException e)
        {
            return StepRehearsal.Fails($"{step.Name}: {e.Message}");
        }
        finally
        {
            DeleteClone(clone);
        }
    }
}
