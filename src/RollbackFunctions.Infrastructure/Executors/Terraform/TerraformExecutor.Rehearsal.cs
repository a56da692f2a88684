using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Executors;

namespace RollbackFunctions.Infrastructure.Executors.Terraform;

public sealed partial class TerraformExecutor
{
    /// <summary>
    /// <c>terraform plan -lock=false</c> of the commit pinned at registration, in a scratch worktree
    /// removed afterwards, judged by effect exactly as the revert judges it
    /// (<see cref="DestructiveEffect"/>): a delete, a replace or an update of a protected type is
    /// <c>wouldNeedApproval</c> with the plan by address. Nothing is applied and no state lock is
    /// taken; the plan file never leaves the worktree. Before CI applies anything the plan is empty,
    /// and says so: the revert's effect is known once the deploy's apply has run.
    /// </summary>
    public async Task<StepRehearsal> RehearseAsync(StepRevertRequest request, CancellationToken cancellationToken)
    {
        if (Read(request.Params, out var step) is { } problem)
        {
            return StepRehearsal.Fails(problem);
        }

        var commit = (string?)request.Captured?["commit"] ?? step.PreviousRef;
        var worktree = Path.Combine(options.Value.WorkRoot, $"rehearsal-{request.DeployId}-{request.StepId}-{Guid.NewGuid():N}");
        var run = new TerraformRun(step, commit, Checkout(step), worktree, time.GetUtcNow() + request.Remaining(time.GetUtcNow()));
        try
        {
            if (await run.Checkout.AddWorktreeAsync(run.Worktree, run.Commit, cancellationToken) is { } checkoutProblem)
            {
                return StepRehearsal.Fails($"could not check out {run.Commit} of checkout {step.Checkout}: {checkoutProblem}");
            }

            var (plan, failure) = await PlanAsync(run, cancellationToken, rehearsal: true);
            return plan is null ? StepRehearsal.Fails(failure!.Detail)
                : !plan.HasChanges ? StepRehearsal.Ok($"the plan of {run.What} has no changes: the infrastructure holds the state from before the deploy, so there is nothing to revert yet (plan -lock=false, nothing applied)")
                : DestructiveEffect(plan) is { } destructive ? StepRehearsal.WouldNeedApproval($"the plan of {run.What} {destructive}: {plan.ByAddress} ({plan.Summary}); the revert would wait for an operator's approval of its plan")
                : StepRehearsal.Ok($"the plan of {run.What} deletes and replaces nothing: {plan.ByAddress} ({plan.Summary}) (plan -lock=false, nothing applied)");
        }
        finally
        {
            await run.Checkout.RemoveWorktreeAsync(run.Worktree);
        }
    }
}
