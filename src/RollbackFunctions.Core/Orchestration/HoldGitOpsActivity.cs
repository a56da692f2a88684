using Microsoft.DurableTask;
using RollbackFunctions.Core.Audit;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Ports;

namespace RollbackFunctions.Core.Orchestration;

/// <summary>Which deploy's GitOps objects to hold, for which rollback.</summary>
public sealed record GitOpsHoldRequest(string RollbackId, IReadOnlyList<GitOpsTarget> Targets)
{
    /// <summary>A check before a later revert level: only what changed (a hold applied again, or failing) is audited.</summary>
    public bool Recheck { get; init; }
}

/// <summary>
/// Holds every GitOps object of the deploy before the first revert, and again before each later
/// level: Argo CD auto-sync off, Flux suspended, the hold naming the rollback. Never undone
/// automatically; an operator resumes. Each hold is audited, and each hold found undone and applied
/// again (<c>gitops.reheld</c>). Safe to repeat.
/// </summary>
public sealed class HoldGitOpsActivity(IGitOpsControllers controllers, IAuditLog audit) : TaskActivity<GitOpsHoldRequest, IReadOnlyList<GitOpsOutcome>>
{
    public override Task<IReadOnlyList<GitOpsOutcome>> RunAsync(TaskActivityContext context, GitOpsHoldRequest input) => ExecuteAsync(input, CancellationToken.None);

    public async Task<IReadOnlyList<GitOpsOutcome>> ExecuteAsync(GitOpsHoldRequest input, CancellationToken cancellationToken)
    {
        var outcomes = new List<GitOpsOutcome>();
        foreach (var target in input.Targets)
        {
            var outcome = await controllers.HoldAsync(target, input.RollbackId, cancellationToken);
            var (action, result) = outcome switch
            {
                { Done: false } => (AuditActions.GitOpsHeld, "failed"),
                { Reheld: true } => (AuditActions.GitOpsReheld, "reheld"),
                _ => (AuditActions.GitOpsHeld, "held"),
            };
            if (!input.Recheck || action == AuditActions.GitOpsReheld || !outcome.Done)
            {
                await audit.AppendAsync(new AuditEntry(input.RollbackId, RollbackActors.System, action, target, result, $"{target}: {outcome.Detail}"), cancellationToken);
            }

            outcomes.Add(outcome);
        }

        return outcomes;
    }
}
