using RollbackFunctions.Core.Audit;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Rollbacks;

namespace RollbackFunctions.Core.Insights;

/// <summary>
/// The moments of one rollback that the impact figures measure, read from its stored head and step
/// rows. Pure code: every figure has one definition here, used by the API and by <c>/metrics</c>.
/// </summary>
/// <param name="Service">Of the deploy rolled back.</param>
/// <param name="Environment">Of the deploy rolled back.</param>
/// <param name="Trigger"><c>watcher</c>, <c>alert</c> or <c>operator</c>.</param>
/// <param name="SignalAt">First bad sample (watcher) or alert start (alert); null for an operator's rollback.</param>
/// <param name="ClaimedAt">When the rollback was first claimed (a take-over of a lost claim does not move it).</param>
/// <param name="FirstRevertAt">When the first revert started; null when none did.</param>
/// <param name="VerifiedAt">When health was verified; null unless the rollback succeeded.</param>
/// <param name="LeftToHuman">Step kinds the rollback ended without reverting (empty while it runs or when it reverted everything).</param>
/// <param name="Pages">Pages delivered about it.</param>
/// <param name="BudgetSpent">Share of a 30-day error budget the incident consumed, where burn-rate checks measured it.</param>
public sealed record RollbackImpact(
    string Service,
    string Environment,
    string Trigger,
    DateTimeOffset? SignalAt,
    DateTimeOffset ClaimedAt,
    DateTimeOffset? FirstRevertAt,
    DateTimeOffset? VerifiedAt,
    IReadOnlyList<string> LeftToHuman,
    int Pages,
    double? BudgetSpent)
{
    /// <summary>Where the clock starts: the first bad signal, or the claim when an operator asked.</summary>
    public DateTimeOffset StartedAt => SignalAt is { } signal && signal < ClaimedAt ? signal : ClaimedAt;

    /// <summary>Ended with a layer not reverted.</summary>
    public bool IsPartial => LeftToHuman.Count > 0;

    public static RollbackImpact Of(DeployRecord deploy, RollbackRecord head, IReadOnlyList<RollbackStepRecord> steps) => new(
        deploy.Service,
        deploy.Environment,
        TriggerOf(head.Trigger.Kind),
        SignalOf(head.Trigger),
        head.FirstClaimedAt(),
        steps.Select(s => s.StartedAt).Where(t => t is not null).Min(),
        head.Phase == RollbackPhase.Succeeded ? head.CompletedAt : null,
        head.Phase.IsTerminal() ? steps.Where(s => s.Status.LeftUnreverted()).Select(s => s.Kind).ToList() : [],
        head.PagesSent,
        head.BudgetSpent);

    /// <summary>The trigger as the impact view groups it: an operator's rollback, forced or not, is <c>operator</c>.</summary>
    public static string TriggerOf(string kind) => kind switch
    {
        TriggerKinds.Watcher => ImpactTriggers.Watcher,
        TriggerKinds.Alert => ImpactTriggers.Alert,
        _ => ImpactTriggers.Operator,
    };

    /// <summary>
    /// The first sign of trouble the trigger carries: the earliest start of its alerts, or the
    /// earliest first unhealthy sample of its acting breaches. Null when it carries none.
    /// </summary>
    private static DateTimeOffset? SignalOf(RollbackTrigger trigger) => trigger.Kind switch
    {
        TriggerKinds.Alert => trigger.Alerts.Count > 0 ? trigger.Alerts.Min(a => a.StartsAt) : null,
        TriggerKinds.Watcher => trigger.Breaches.Where(b => !b.DryRun).Select(b => b.FirstUnhealthyAt).Where(t => t is not null).Min(),
        _ => null,
    };
}

/// <summary>The three triggers the impact view tells apart.</summary>
public static class ImpactTriggers
{
    public const string Watcher = "watcher";
    public const string Alert = "alert";
    public const string Operator = "operator";

    public static IReadOnlyList<string> All { get; } = [Watcher, Alert, Operator];
}
