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

        try
        {
            return await InCloneAsync(step, $"rehearsal-{request.DeployId}-{request.StepId}", clone => RehearseInAsync(step, clone, cancellationToken),
                cloneFailed: StepRehearsal.Fails, cancellationToken);
        }
        catch (InvalidOperationException e)
        {
            return StepRehearsal.Fails($"{step.Name}: {e.Message}");
        }
    }

    private async Task<StepRehearsal> RehearseInAsync(GitStep step, string clone, CancellationToken cancellationToken)
    {
        if (await CommitOnBranchAsync(step, clone, cancellationToken) is not { } commit)
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
}
