using System.Globalization;
using Microsoft.DurableTask;
using RollbackFunctions.Core.Audit;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Notifications;
using RollbackFunctions.Core.Ports;
using RollbackFunctions.Core.Rollbacks;

namespace RollbackFunctions.Core.Watching;

/// <summary>A breach to act on: roll back, or (observe mode, dry-run checks) report what would have happened.</summary>
public sealed record BreachRequest(string DeployId, IReadOnlyList<BreachEvidence> Breaches, bool Observe);

/// <summary>
/// What acting on a breach did: the rollback it started or found (or the refusal), or null when it
/// only reported; then <see cref="Notice"/> is the "would roll back" for the watcher to send on the
/// durable notice path.
/// </summary>
public sealed record BreachOutcome(RollbackStart? Rollback, string Summary, NoticeRequest? Notice = null)
{
    /// <summary>A rollback of the deploy runs (started now or before): the watcher's work is done.</summary>
    public bool HandedOver => Rollback is { Refusal: null };
}

/// <summary>
/// Acts on a breach. Checks that may act start the rollback through the one claim alerts and
/// operators use (<see cref="IRollbackLauncher"/>), with the breach as the trigger's evidence;
/// otherwise the deploy records "would roll back" and the watcher sends the notice on the durable
/// notice path. Repeating it starts nothing twice: the claim is exactly-once and the notice is keyed.
/// </summary>
public sealed class ActOnBreachActivity(IRollbackLauncher launcher, IDeployStore deploys, TimeProvider clock) : TaskActivity<BreachRequest, BreachOutcome>
{
    public override Task<BreachOutcome> RunAsync(TaskActivityContext context, BreachRequest input) => ExecuteAsync(input, CancellationToken.None);

    public Task<BreachOutcome> ExecuteAsync(BreachRequest input, CancellationToken cancellationToken) => ExecuteAsync(input, launcher, cancellationToken);

    /// <summary>With a launcher of the caller's (the Functions app binds its Durable client per call).</summary>
    public async Task<BreachOutcome> ExecuteAsync(BreachRequest input, IRollbackLauncher launchWith, CancellationToken cancellationToken)
    {
        var acting = input.Breaches.Where(b => !b.DryRun && !input.Observe).ToList();
        var evidence = string.Join("; ", input.Breaches.Select(Describe));
        if (acting.Count > 0)
        {
            var trigger = new RollbackTrigger(TriggerKinds.Watcher, RollbackActors.System, $"watcher: {string.Join("; ", acting.Select(Describe))}", []) { Breaches = input.Breaches };
            var start = await launchWith.StartAsync(input.DeployId, trigger, cancellationToken);
            var what = start.Refusal is { } refused ? $"not rolled back ({refused})" : $"rollback {start.RollbackId}{(start.Started ? " started" : " already existed")}";
            await NoteAsync(input.DeployId, WatchReport.Breached, $"{what}: {evidence}", cancellationToken);
            return new BreachOutcome(start, evidence);
        }

        if (await deploys.GetAsync(input.DeployId, cancellationToken) is not { } deploy)
        {
            return new BreachOutcome(null, evidence);
        }

        var why = input.Observe ? "observe mode" : "dry-run check(s)";
        var summary = $"would roll back {deploy.Service} {deploy.Version} in {deploy.Environment} ({why}): {evidence}";
        await NoteAsync(input.DeployId, WatchReport.WouldRollBack, summary, cancellationToken);
        return new BreachOutcome(null, summary, new NoticeRequest(deploy.DeployId, $"would-roll-back-{deploy.DeployId}", "WouldRollBack", summary, Details(input.Breaches)));
    }

    private Task NoteAsync(string deployId, string state, string note, CancellationToken cancellationToken) =>
        deploys.UpdateAsync(deployId, deploy => deploy with { Watch = (deploy.Watch ?? new WatchReport(state, clock.GetUtcNow(), [])) with { State = state, At = clock.GetUtcNow(), Note = note } }, cancellationToken);

    private static string Describe(BreachEvidence breach) =>
        $"{breach.Check} {breach.Detail} ({breach.UnhealthySamples} unhealthy sample(s) since the watch began, {breach.SamplesInARow} in a row{(breach.DryRun ? ", dry run" : "")})";

    private static Dictionary<string, string> Details(IReadOnlyList<BreachEvidence> breaches) =>
        breaches.ToDictionary(b => b.Check, b => $"{b.Query} = {b.Value?.ToString("G6", CultureInfo.InvariantCulture) ?? "?"}; threshold {b.Threshold}; {b.UnhealthySamples} unhealthy, {b.SamplesInARow} in a row");
}
