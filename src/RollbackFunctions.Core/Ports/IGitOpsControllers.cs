using RollbackFunctions.Core.Deploys;

namespace RollbackFunctions.Core.Ports;

/// <summary>
/// Holds and resumes GitOps controllers. Holding is idempotent and remembers, on the object itself,
/// what it replaced, so a repeated hold keeps the original and a resume restores exactly it.
/// Failures are outcomes, never exceptions.
/// </summary>
public interface IGitOpsControllers
{
    Task<GitOpsOutcome> HoldAsync(GitOpsTarget target, CancellationToken cancellationToken);

    Task<GitOpsOutcome> ResumeAsync(GitOpsTarget target, CancellationToken cancellationToken);
}
