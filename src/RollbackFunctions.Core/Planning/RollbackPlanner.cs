using System.Text.Json.Nodes;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Policy;

namespace RollbackFunctions.Core.Planning;

/// <summary>
/// Plans a deploy's rollback before it is needed, as pure code: every step that is or may yet be
/// applied, in the reverse order the rollback would run them, with what would stop each from being
/// reverted automatically. The same rules the rollback applies, read ahead of time: the step's
/// revert mode and the environment's policy (<see cref="RevertGate"/>, as the rollback applies
/// them), an irreversible step (an executor captured <c>irreversible: true</c>), whether an alert
/// would start the rollback at all, and what the last rehearsal found. A step whose executor judges
/// by effect at run time (a terraform plan, a down migration, a receiver) is planned
/// <c>automatic</c> with the condition under which it would ask instead, until a rehearsal of what
/// was applied shows that effect (then <c>approval</c>) or its absence.
/// </summary>
public static class RollbackPlanner
{
    /// <param name="deploy">The deploy as stored.</param>
    /// <param name="rules">The policy and executor rules the rollback would run under.</param>
    /// <param name="restores">The secret-free summary of a step's captured state.</param>
    /// <param name="expected">Median revert seconds by step kind, from past rollbacks of this service.</param>
    public static RollbackPlan Plan(DeployRecord deploy, PlanRules rules, Func<DeployStep, JsonObject?> restores, IReadOnlyDictionary<string, double> expected)
    {
        var levels = Reverse(deploy).Levels
            .Select(level => (IReadOnlyList<PlannedStep>)level.Select(id => PlanStep(deploy, deploy.FindStep(id)!, rules, restores, expected)).ToList())
            .ToList();
        var planned = levels.SelectMany(l => l).ToList();
        var blocking = planned.Where(p => p.Revert == PlannedRevert.Irreversible || RehearsalOf(deploy, p.StepId)?.Outcome == RehearsalOutcome.Fails).ToList();
        var human = planned.Where(p => p.Revert is PlannedRevert.Approval or PlannedRevert.Manual).ToList();
        var (readiness, why) = blocking.Count > 0 ? (Readiness.NotReversible, Listed(blocking))
            : human.Count > 0 || rules.OperatorStarts is not null ? (Readiness.NeedsHuman, string.Join("; ", new[] { rules.OperatorStarts, human.Count > 0 ? Listed(human) : null }.OfType<string>()))
            : (Readiness.Ready, "every step is reverted by its executor, and an alert or a breach starts the rollback");
        return new RollbackPlan(readiness, levels, deploy.Rehearsal) { Why = why };
    }

    /// <summary>The steps the plan lists, which are the steps a rehearsal dry-runs.</summary>
    public static IReadOnlyList<DeployStep> StepsToRevert(DeployRecord deploy) =>
        Reverse(deploy).Levels.SelectMany(level => level).Select(id => deploy.FindStep(id)!).ToList();

    /// <summary>As if every step that may change its target had done so: at registration nothing has yet.</summary>
    private static RevertPlan Reverse(DeployRecord deploy) =>
        ReversePlanner.Plan(deploy.Steps.Select(s => s.Status is StepStatus.Pending ? s with { Status = StepStatus.Applied } : s).ToList());

    private static string Listed(IEnumerable<PlannedStep> steps) => string.Join("; ", steps.Select(p => $"{p.StepId}: {p.Why}"));

    private static StepRehearsal? RehearsalOf(DeployRecord deploy, string stepId) => deploy.Rehearsal?.Steps.GetValueOrDefault(stepId);

    private static PlannedStep PlanStep(DeployRecord deploy, DeployStep step, PlanRules rules, Func<DeployStep, JsonObject?> restores, IReadOnlyDictionary<string, double> expected)
    {
        var (revert, why) = RevertOf(deploy, step, rules);
        return new PlannedStep(step.Id, step.Kind, revert, why, restores(step), expected.TryGetValue(step.Kind, out var seconds) ? seconds : null);
    }

    private static (PlannedRevert, string) RevertOf(DeployRecord deploy, DeployStep step, PlanRules rules)
    {
        if (step.Captured?["irreversible"] is JsonValue flag && flag.TryGetValue<bool>(out var irreversible) && irreversible)
        {
            return (PlannedRevert.Irreversible, "step: marked irreversible, there is nothing to run back");
        }

        var (gate, gateWhy) = RevertGate.Of(step, rules.Approvals);
        if (gate != RevertGateKind.Automatic)
        {
            return (gate == RevertGateKind.Manual ? PlannedRevert.Manual : PlannedRevert.Approval, step.RevertMode == RevertMode.Auto ? gateWhy : $"step setting: {gateWhy}");
        }

        var rehearsed = RehearsalOf(deploy, step.Id);
        if (rehearsed?.Outcome == RehearsalOutcome.WouldNeedApproval)
        {
            return (PlannedRevert.Approval, $"destructive effect found by the rehearsal at {deploy.Rehearsal!.At:u}: {rehearsed.Detail}");
        }

        if (rehearsed?.Outcome == RehearsalOutcome.Fails)
        {
            return (PlannedRevert.Automatic, $"the rehearsal failed: {rehearsed.Detail}");
        }

        if (rules.AsksApprovalWhen(step) is not { } condition)
        {
            return (PlannedRevert.Automatic, gateWhy);
        }

        // Only a dry run of what was applied shows the revert's effect: before the apply there is nothing to revert.
        return rehearsed?.Outcome == RehearsalOutcome.Ok && step.Status == StepStatus.Applied && step.UpdatedAt <= deploy.Rehearsal!.At
            ? (PlannedRevert.Automatic, $"{gateWhy}; it would wait for approval if {condition}, and the rehearsal at {deploy.Rehearsal.At:u}, after the step was applied, found no such effect")
            : (PlannedRevert.Automatic, $"{gateWhy} unless {condition}: then it waits for an operator's approval; known when the revert runs, or from a rehearsal after the step is applied (POST /api/deploys/{deploy.DeployId}/rehearse)");
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
                ? $"readiness is notReversible ({plan.Why}); fix the deploy, or have an operator waive it: POST /api/deploys/{deploy.DeployId}/waive"
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
