using RollbackFunctions.Core.Deploys;

namespace RollbackFunctions.Core.Ports;

/// <summary>
/// Holds and resumes GitOps controllers. Holding is idempotent and remembers, on the object itself,
/// what it replaced and which rollbacks hold it, so a repeated hold keeps the original, a hold that
/// was undone (an ApplicationSet or a parent Application turned auto-sync back on) is applied again
/// and says so, and a resume releases only its own rollback's hold, restoring exactly the original
/// once no rollback holds it. Failures are outcomes, never exceptions.
/// </summary>
public interface IGitOpsControllers
{
    Task<GitOpsOutcome> HoldAsync(GitOpsTarget target, string rollbackId, CancellationToken cancellationToken);

    Task<GitOpsOutcome> ResumeAsync(GitOpsTarget target, string rollbackId, CancellationToken cancellationToken);

    /// <summary>Checks a registration's GitOps object against this deployment (its clusters are configured); problems by field.</summary>
    IReadOnlyDictionary<string, string> Validate(GitOpsTarget target) => new Dictionary<string, string>();
}
