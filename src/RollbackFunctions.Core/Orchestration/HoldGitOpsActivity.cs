using Microsoft.DurableTask;
using RollbackFunctions.Core.Audit;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Ports;

namespace RollbackFunctions.Core.Orchestration;

/// <summary>Which deploy's GitOps objects to hold, for which rollback.</summary>
public sealed record GitOpsHoldRequest(string RollbackId, IReadOnlyList<GitOpsTarget> Targets);

/// <summary>
/// Holds every GitOps object of the deploy before the first revert: Argo CD auto-sync off, Flux
/// suspended. Never undone automatically; an operator resumes. Each hold is audited. Safe to repeat.
/// </summary>
public sealed class HoldGitOpsActivity(IGitOpsControllers controllers, IAuditLog audit) : TaskActivity<GitOpsHoldRequest, IReadOnlyList<GitOpsOutcome>>
{
    public override Task<IReadOnlyList<GitOpsOutcome>> RunAsync(TaskActivityContext context, GitOpsHoldRequest input) => ExecuteAsync(input, CancellationToken.None);

    public async Task<IReadOnlyList<GitOpsOutcome>> ExecuteAsync(GitOpsHoldRequest input, CancellationToken cancellationToken)
    {
        var outcomes = new List<GitOpsOutcome>();
        foreach (var target in input.Targets)
        {
            var outcome = await controllers.HoldAsync(target, cancellationToken);
            await audit.AppendAsync(
                new AuditEntry(input.RollbackId, RollbackActors.System, AuditActions.GitOpsHeld, target, outcome.Done ? "held" : "failed", $"{target}: {outcome.Detail}"),
                cancellationToken);
            outcomes.Add(outcome);
        }

        return outcomes;
    }
}
