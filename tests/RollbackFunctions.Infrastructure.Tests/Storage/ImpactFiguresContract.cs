using System.Text.Json.Nodes;
using RollbackFunctions.Api.Insights;
using RollbackFunctions.Core.Alerts;
using RollbackFunctions.Core.Audit;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Ports;
using RollbackFunctions.Core.Rollbacks;
using RollbackFunctions.Core.Watching;
using RollbackFunctions.Infrastructure.Storage;

namespace RollbackFunctions.Infrastructure.Tests.Storage;

/// <summary>
/// The impact figures (<c>GET /api/insights</c>) computed from what each store holds: deploys found
/// by registration day, rollbacks by claim day, their step rows, pages and error budget. Run on the
/// Table stores on Azurite and on the in-memory stores, so the two read the same period alike.
/// </summary>
public abstract class ImpactFiguresContract
{
    private static readonly DateTimeOffset Now = new(2026, 12, 2, 10, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset From = Now.AddDays(-30);

    protected abstract Task<(IDeployStore Deploys, IRollbackStore Rollbacks)> CreateStoresAsync();

    [SkippableFact]
    public async Task Read_RollbacksOfThreeKinds_EveryFigureFromTheStoredRows()
    {
        var (deploys, rollbacks) = await CreateStoresAsync();
        await SeedAsync(deploys, rollbacks);

        var reply = await new ImpactReader(deploys, rollbacks).ReadAsync(From, Now, null, null, (_, _) => true, default);

        Assert.Equal([("checkout", "prod"), ("cart", "staging")], reply.Groups.Select(g => (g.Service!, g.Environment!)));
        var checkout = reply.Groups.Single(g => g.Service == "checkout");
        Assert.Equal(4, checkout.Deploys);
        Assert.Equal(3, checkout.Rollbacks);
        Assert.Equal(new(1, 1, 1), checkout.RollbacksByTrigger);
        Assert.Equal(0.75, checkout.ChangeFailureRate);
        Assert.Equal(new(30, 60), checkout.TimeToDetect); // alert: 30 s from its start to the claim; watcher: 60 s from its first bad sample
        Assert.Equal(new(40, 70), checkout.TimeToFirstRevert); // alert 40 s, watcher 70 s, operator 5 s from the claim
        Assert.Equal(new(100, 120), checkout.TimeToRestore); // operator 100 s, alert 120 s; the watcher's did not restore
        Assert.Equal(1, checkout.PartialRollbacks.Count);
        Assert.Equal(new Dictionary<string, int> { ["terraform"] = 1 }, checkout.PartialRollbacks.NeedingHuman);
        Assert.Equal(3, checkout.Pages);
        Assert.Equal(1, checkout.ErrorBudgetConsumed!.Incidents);
        Assert.Equal(0.02, checkout.ErrorBudgetConsumed.Total, 6);
        Assert.Equal(Math.Round(4 / 30.0, 3), checkout.DeploymentFrequency);
        Assert.Equal(new(2100, 2100), checkout.LeadTime); // committed 35 min before it completed
        Assert.Equal(5, reply.Total.Deploys);
        Assert.Equal(3, reply.Total.Rollbacks);
        Assert.Equal(0.6, reply.Total.ChangeFailureRate);
        Assert.Null(reply.Groups.Single(g => g.Service == "cart").ErrorBudgetConsumed);
    }

    [SkippableFact]
    public async Task Read_NarrowedToAServiceOrAShorterPeriod_CountsOnlyThat()
    {
        var (deploys, rollbacks) = await CreateStoresAsync();
        await SeedAsync(deploys, rollbacks);
        var reader = new ImpactReader(deploys, rollbacks);

        var cart = await reader.ReadAsync(From, Now, "cart", null, (_, _) => true, default);
        var lastDay = await reader.ReadAsync(Now.AddDays(-1), Now, null, "prod", (_, _) => true, default);
        var scoped = await reader.ReadAsync(From, Now, null, null, (service, _) => service == "cart", default);

        Assert.Equal(["cart"], cart.Groups.Select(g => g.Service));
        Assert.Equal((1, 0), (cart.Total.Deploys, cart.Total.Rollbacks));
        Assert.Equal((1, 1), (lastDay.Total.Deploys, lastDay.Total.Rollbacks)); // the operator's deploy and rollback of today
        Assert.Equal(["cart"], scoped.Groups.Select(g => g.Service));
    }

    /// <summary>
    /// checkout/prod: an alert rollback (succeeded), a watcher rollback (failed, terraform not
    /// approved), an operator's rollback (succeeded, today), a deploy without rollback; cart/staging:
    /// one deploy. Outside the period: a deploy of 40 days ago and its rollback.
    /// </summary>
    private static async Task SeedAsync(IDeployStore deploys, IRollbackStore rollbacks)
    {
        var alertDay = Now.AddDays(-10);
        await AddDeployAsync(deploys, "alerted", "checkout", "prod", alertDay.AddMinutes(-5), rolledBackBy: "rb-alerted", commit: alertDay.AddMinutes(-35));
        var alert = new AlertSignal(AlertSource.Alertmanager, "g|f", "HighErrorRate", AlertStatus.Firing, new Dictionary<string, string>(), new Dictionary<string, string>(), alertDay.AddSeconds(-30), null);
        await RollbackAsync(rollbacks, "rb-alerted", "alerted", new RollbackTrigger(TriggerKinds.Alert, RollbackActors.System, "alert", [alert]), alertDay,
            RollbackPhase.Succeeded, alertDay.AddSeconds(90), [("rollout", "kubernetes", StepStatus.Reverted, alertDay.AddSeconds(10))]);
        await rollbacks.CountPageAsync("rb-alerted", default);
        await rollbacks.CountPageAsync("rb-alerted", default);
        await rollbacks.SetBudgetSpentAsync("rb-alerted", 0.02, default);

        var watchDay = Now.AddDays(-3);
        await AddDeployAsync(deploys, "watched", "checkout", "prod", watchDay.AddMinutes(-5), rolledBackBy: "rb-watched");
        var breach = new BreachEvidence("errors", "q", 0.2, "> 0.1", 3, "bad", DryRun: false, 3) { FirstUnhealthyAt = watchDay.AddSeconds(-60) };
        await RollbackAsync(rollbacks, "rb-watched", "watched", new RollbackTrigger(TriggerKinds.Watcher, RollbackActors.System, "watcher", []) { Breaches = [breach] }, watchDay,
            RollbackPhase.Failed, watchDay.AddSeconds(300), [("rollout", "kubernetes", StepStatus.Reverted, watchDay.AddSeconds(10)), ("network", "terraform", StepStatus.NotApproved, null)]);
        await rollbacks.CountPageAsync("rb-watched", default);

        var today = Now.AddHours(-2);
        await AddDeployAsync(deploys, "asked", "checkout", "prod", today.AddMinutes(-5), rolledBackBy: "rb-asked");
        await RollbackAsync(rollbacks, "rb-asked", "asked", new RollbackTrigger(TriggerKinds.Manual, "alice", "looks wrong", []), today,
            RollbackPhase.Succeeded, today.AddSeconds(100), [("rollout", "kubernetes", StepStatus.Reverted, today.AddSeconds(5))]);

        await AddDeployAsync(deploys, "fine", "checkout", "prod", Now.AddDays(-20), rolledBackBy: null);
        await AddDeployAsync(deploys, "cart-1", "cart", "staging", Now.AddDays(-15), rolledBackBy: null);

        var old = Now.AddDays(-40);
        await AddDeployAsync(deploys, "old", "checkout", "prod", old, rolledBackBy: "rb-old");
        await RollbackAsync(rollbacks, "rb-old", "old", new RollbackTrigger(TriggerKinds.Manual, "bob", "old", []), old.AddMinutes(1), RollbackPhase.Succeeded, old.AddMinutes(2), []);
    }

    private static Task AddDeployAsync(IDeployStore deploys, string id, string service, string environment, DateTimeOffset registeredAt, string? rolledBackBy, DateTimeOffset? commit = null) =>
        deploys.AddAsync(
            new DeployRecord
            {
                DeployId = id,
                Service = service,
                Environment = environment,
                Version = "1.0.0",
                Labels = new Dictionary<string, string>(),
                WatchMinutes = 30,
                Steps = [new DeployStep("rollout", "kubernetes", [], new JsonObject(), RevertMode.Auto, StepStatus.Applied, registeredAt)],
                State = rolledBackBy is null ? DeployState.Baking : DeployState.RolledBack,
                RegisteredAt = registeredAt,
                CompletedAt = registeredAt.AddMinutes(5),
                CommitTime = commit,
                RollbackId = rolledBackBy,
                RegistrationDigest = id,
            },
            default);

    private static async Task RollbackAsync(
        IRollbackStore rollbacks, string rollbackId, string deployId, RollbackTrigger trigger, DateTimeOffset claimedAt,
        RollbackPhase outcome, DateTimeOffset endedAt, IReadOnlyList<(string Id, string Kind, StepStatus Status, DateTimeOffset? StartedAt)> steps)
    {
        await rollbacks.TryClaimAsync(
            new RollbackRecord
            {
                RollbackId = rollbackId,
                DeployId = deployId,
                Phase = RollbackPhase.Halting,
                Trigger = trigger,
                ClaimedAt = claimedAt,
                Timeline = [new PhaseChange(RollbackPhase.Halting, claimedAt, "claimed")],
            },
            default);
        foreach (var (id, kind, status, startedAt) in steps)
        {
            await rollbacks.PutStepAsync(rollbackId, new RollbackStepRecord(id, kind, 0, status, startedAt is null ? 0 : 1, startedAt, startedAt?.AddSeconds(1), ""), default);
        }

        await rollbacks.SetPhaseAsync(rollbackId, outcome, "ended", endedAt, default);
    }
}

public sealed class TableImpactFiguresTests : ImpactFiguresContract
{
    protected override async Task<(IDeployStore Deploys, IRollbackStore Rollbacks)> CreateStoresAsync()
    {
        var tables = await StorageFixture.CreateTablesAsync();
        return (new TableDeployStore(tables), new TableRollbackStore(tables));
    }
}

public sealed class InMemoryImpactFiguresTests : ImpactFiguresContract
{
    protected override Task<(IDeployStore Deploys, IRollbackStore Rollbacks)> CreateStoresAsync() =>
        Task.FromResult<(IDeployStore, IRollbackStore)>((new InMemoryDeployStore(), new InMemoryRollbackStore()));
}
