using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Policy;

namespace RollbackFunctions.Core.Planning;

/// <summary>
/// The rules a deploy's rollback would run under, as the plan reads them ahead of time.
/// </summary>
/// <param name="Approvals">What the environment's policy wants approved (the same record the rollback is claimed with).</param>
/// <param name="OperatorStarts">Why an alert or a breach would not start the rollback on its own (autoRollback off, no automatic rollbacks allowed), or null.</param>
/// <param name="AsksApprovalWhen">
/// When a step's executor may still stop for an operator at run time, judged by effect (SAFETY.md 3): a
/// terraform plan that deletes, a down migration that loses data, a receiver's 428. Null for kinds that never do.
/// </param>
public sealed record PlanRules(RollbackApprovals Approvals, string? OperatorStarts, Func<DeployStep, string?> AsksApprovalWhen)
{
    /// <summary>No policy at all: every step automatic, nothing asked at run time.</summary>
    public static PlanRules None { get; } = new(RollbackApprovals.None, null, _ => null);

    /// <summary>
    /// The rules from the policy, read through the same code the rollback uses: <see cref="RollbackApprovals"/>
    /// for steps, and <see cref="RollbackGuard"/> asked as for an alert on a quiet day (no recent
    /// rollbacks, nothing else firing): a refusal then is a refusal on every day.
    /// </summary>
    public static PlanRules For(PolicyOptions policy, DeployRecord deploy, Func<DeployStep, string?> asksApprovalWhen)
    {
        var quietDay = RollbackGuard.Decide(policy, deploy, new GuardInputs(Automatic: true, RecentAutomaticRollbacks: 0, FiringServices: 0));
        return new(
            RollbackApprovals.For(policy, deploy, quietDay),
            quietDay.Verdict == GuardVerdict.Refuse ? $"policy ({quietDay.Rule}): an alert or a breach would not start the rollback, an operator would: {quietDay.Reason}" : null,
            asksApprovalWhen);
    }
}
