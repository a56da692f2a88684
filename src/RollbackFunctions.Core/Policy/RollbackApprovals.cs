using RollbackFunctions.Core.Deploys;

namespace RollbackFunctions.Core.Policy;

/// <summary>
/// Which steps of one rollback wait for an operator because of policy, fixed when the rollback is
/// claimed (and kept on its head, so a recovered claim runs under the same rules).
/// </summary>
/// <param name="Kinds">Step kinds the deploy's environment always wants approved.</param>
/// <param name="Environment">The deploy's environment, for the explanation.</param>
/// <param name="HoldReason">Set when the guardrails held the whole rollback (mass alert): every step waits.</param>
public sealed record RollbackApprovals(IReadOnlyList<string> Kinds, string Environment, string? HoldReason)
{
    public static RollbackApprovals None { get; } = new([], "", null);

    public static RollbackApprovals For(PolicyOptions policy, DeployRecord deploy, GuardDecision decision) =>
        new(policy.For(deploy.Environment).RequireApproval, deploy.Environment, decision.Verdict == GuardVerdict.Hold ? decision.Reason : null);

    /// <summary>Why policy wants <paramref name="step"/> approved, or null when it does not.</summary>
    public string? Why(DeployStep step) =>
        HoldReason is not null ? $"held by policy: {HoldReason}"
        : Kinds.Contains(step.Kind, StringComparer.OrdinalIgnoreCase) ? $"policy: {step.Kind} steps in {Environment} always need approval"
        : null;
}
