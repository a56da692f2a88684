using System.Text.Json.Nodes;
using RollbackFunctions.Core.Deploys;

namespace RollbackFunctions.Core.Planning;

/// <summary>
/// Plans a deploy's rollback before it is needed, as pure code: every step that is or may yet be
/// applied, in the reverse order the rollback would run them, with what would stop each from being
/// reverted automatically. The same rules the rollback applies, read ahead of time: a manual step,
/// an approval-mode step, a kind the environment's policy wants approved, an irreversible step (an
/// executor captured <c>irreversible: true</c>), and what the last rehearsal found.
/// </summary>
public static class RollbackPlanner
{
    /// <param name="deploy">The deploy as stored.</param>
    /// <param name="requireApproval">Step kinds the deploy's environment always wants approved.</param>
    /// <param name="restores">The secret-free summary of a step's captured state.</param>
    /// <param name="expected">Median revert seconds by step kind, from past rollbacks of this service.</param>
    public static RollbackPlan Plan(DeployRecord deploy, IReadOnlyCollection<string> requireApproval, Func<DeployStep, JsonObject?> restores, IReadOnlyDictionary<string, double> expected)
    {
        // As if every step that may change its target had done so: at registration nothing has yet.
        var steps = deploy.Steps.Select(s => s.Status is StepStatus.Pending ? s with { Status = StepStatus.Applied } : s).ToList();
        var plan = ReversePlanner.Plan(steps);
        var levels = plan.Levels
            .Select(level => (IReadOnlyList<PlannedStep>)level.Select(id => PlanStep(deploy, deploy.FindStep(id)!, requireApproval, restores, expected)).ToList())
            .ToList();
        var planned = levels.SelectMany(l => l).ToList();
        var fails = deploy.Rehearsal?.Steps.Where(r => r.Value.Outcome == RehearsalOutcome.Fails && planned.Any(p => p.StepId == r.Key)).Any() == true;
        var readiness = planned.Any(p => p.Revert == PlannedRevert.Irreversible) || fails ? Readiness.NotReversible
            : planned.Any(p => p.Revert is PlannedRevert.Approval or PlannedRevert.Manual) ? Readiness.NeedsHuman
            : Readiness.Ready;
        return new RollbackPlan(readiness, levels, deploy.Rehearsal);
    }

    private static PlannedStep PlanStep(DeployRecord deploy, DeployStep step, IReadOnlyCollection<string> requireApproval, Func<DeployStep, JsonObject?> restores, IReadOnlyDictionary<string, double> expected)
    {
        var (revert, why) = RevertOf(deploy, step, requireApproval);
        return new PlannedStep(step.Id, step.Kind, revert, why, restores(step), expected.TryGetValue(step.Kind, out var seconds) ? seconds : null);
    }

    private static (PlannedRevert, string) RevertOf(DeployRecord deploy, DeployStep step, IReadOnlyCollection<string> requireApproval)
    {
        if (step.Captured?["irreversible"] is JsonValue flag && flag.TryGetValue<bool>(out var irreversible) && irreversible)
        {
            return (PlannedRevert.Irreversible, "step: marked irreversible, there is nothing to run back");
        }

        var rehearsed = deploy.Rehearsal?.Steps.GetValueOrDefault(step.Id);
        return step.RevertMode switch
        {
            RevertMode.Manual => (PlannedRevert.Manual, "step setting: revert mode is manual (work for a human)"),
            RevertMode.Approval => (PlannedRevert.Approval, "step setting: revert mode is approval"),
            _ when requireApproval.Contains(step.Kind, StringComparer.OrdinalIgnoreCase) => (PlannedRevert.Approval, $"policy: {step.Kind} steps in {deploy.Environment} always need approval"),
            _ when rehearsed?.Outcome == RehearsalOutcome.WouldNeedApproval => (PlannedRevert.Approval, $"destructive effect found by the rehearsal: {rehearsed.Detail}"),
            _ when rehearsed?.Outcome == RehearsalOutcome.Fails => (PlannedRevert.Automatic, $"the rehearsal failed: {rehearsed.Detail}"),
            _ => (PlannedRevert.Automatic, "reverted by its executor"),
        };
    }

    /// <summary>
    /// What the gate needs before CI applies the deploy's first step, under the environment's
    /// <paramref name="required"/> readiness; null when it is met, when a waiver lifts it for this
    /// deploy, or once a step is applied.
    /// </summary>
    public static string? Unmet(RollbackPlan plan, DeployRecord deploy, RequiredReadiness required, TimeSpan rehearsalMaxAge, DateTimeOffset now)
    {
        // A pre-flight requirement: once CI applied something, closing the gate would stop the
        // pipeline half-way with nobody reverting what it applied.
        if (required == RequiredReadiness.None || deploy.Waiver is not null || deploy.HasApplied())
        {
            return null;
        }

        if (required == RequiredReadiness.Plan || plan.Readiness == Readiness.NotReversible)
        {
            return plan.Readiness == Readiness.NotReversible
                ? $"readiness is notReversible ({string.Join("; ", plan.Levels.SelectMany(l => l).Where(p => p.Revert == PlannedRevert.Irreversible || deploy.Rehearsal?.Steps.GetValueOrDefault(p.StepId)?.Outcome == RehearsalOutcome.Fails).Select(p => $"{p.StepId}: {p.Why}"))}); fix the deploy, or have an operator waive it: POST /api/deploys/{deploy.DeployId}/waive"
                : null;
        }

        if (deploy.Rehearsal is not { } rehearsal || now - rehearsal.At > rehearsalMaxAge)
        {
            return $"no rehearsal younger than {rehearsalMaxAge}: POST /api/deploys/{deploy.DeployId}/rehearse first";
        }

        var failing = plan.Levels.SelectMany(l => l).Where(p => rehearsal.Steps.GetValueOrDefault(p.StepId)?.Passes != true).ToList();
        return failing.Count == 0 ? null
            : $"rehearsal did not pass for {string.Join(", ", failing.Select(p => $"{p.StepId} ({rehearsal.Steps.GetValueOrDefault(p.StepId)?.Outcome.ToString() ?? "not rehearsed"})"))}; fix it, or have an operator waive it: POST /api/deploys/{deploy.DeployId}/waive";
    }
}

/// <summary>What an environment requires of a deploy's rollback before its gate opens.</summary>
public enum RequiredReadiness
{
    /// <summary>Nothing.</summary>
    None,

    /// <summary>The plan must not be <see cref="Readiness.NotReversible"/>.</summary>
    Plan,

    /// <summary>A recent rehearsal must have every step ok or wouldNeedApproval.</summary>
    Rehearsed,
}
