using RollbackFunctions.Core.Deploys;

namespace RollbackFunctions.Core.Policy;

/// <summary>What the guardrails decided about starting an automatic rollback.</summary>
public enum GuardVerdict
{
    /// <summary>Roll back.</summary>
    Proceed,

    /// <summary>Roll back, but every step waits for an operator's approval.</summary>
    Hold,

    /// <summary>Do not roll back; page on-call with the reason instead.</summary>
    Refuse,
}

/// <summary>A guardrail decision and the sentence that explains it (paged and audited).</summary>
/// <param name="Verdict">Proceed, hold or refuse.</param>
/// <param name="Rule">Which guardrail decided: <c>operator</c>, <c>autoRollback</c>, <c>rateLimit</c>, <c>massAlert</c> or <c>none</c>.</param>
/// <param name="Reason">The sentence on-call reads.</param>
public sealed record GuardDecision(GuardVerdict Verdict, string Rule, string Reason);

/// <summary>A refusal kept on the deploy, so re-sent alerts page it once per rule and window, not every time.</summary>
public sealed record PolicyRefusal(string Rule, string Reason, DateTimeOffset At);

/// <summary>What the guardrails weigh, read from storage by the caller.</summary>
/// <param name="Automatic">An alert or the watcher asked; false for an operator.</param>
/// <param name="RecentAutomaticRollbacks">Automatic rollbacks of the deploy's service and environment within the window.</param>
/// <param name="FiringServices">Distinct services with firing alerts or breaches in the environment within the mass-alert window.</param>
public sealed record GuardInputs(bool Automatic, int RecentAutomaticRollbacks, int FiringServices);

/// <summary>The guardrails before a rollback starts, as pure code. One home: the starter asks here for every trigger.</summary>
public static class RollbackGuard
{
    public static GuardDecision Decide(PolicyOptions policy, DeployRecord deploy, GuardInputs inputs)
    {
        if (!inputs.Automatic)
        {
            return new(GuardVerdict.Proceed, "operator", "an operator asked; automatic limits do not apply");
        }

        var subject = $"{deploy.Service} in {deploy.Environment}";
        if (!policy.For(deploy.Environment).AutoRollback)
        {
            return new(GuardVerdict.Refuse, "autoRollback", $"not rolling back automatically: autoRollback is off for {deploy.Environment} (observe only); would have rolled back {deploy.DeployId}");
        }

        if (inputs.RecentAutomaticRollbacks >= policy.MaxAutomaticRollbacks)
        {
            return new(
                GuardVerdict.Refuse,
                "rateLimit",
                $"not rolling back automatically: limit reached ({inputs.RecentAutomaticRollbacks} automatic rollbacks of {subject} within {policy.AutomaticRollbackWindow}, at most {policy.MaxAutomaticRollbacks}); roll back {deploy.DeployId} by hand if it is the cause");
        }

        if (inputs.FiringServices > policy.MassAlertServices)
        {
            return new(
                GuardVerdict.Hold,
                "massAlert",
                $"mass alert: {inputs.FiringServices} services firing in {deploy.Environment} within {policy.MassAlertWindow} (more than {policy.MassAlertServices}) looks like the platform, not {deploy.DeployId}; every step waits for an operator");
        }

        return new(GuardVerdict.Proceed, "none", $"within policy ({inputs.RecentAutomaticRollbacks} of {policy.MaxAutomaticRollbacks} automatic rollbacks of {subject}, {inputs.FiringServices} service(s) firing)");
    }
}
