using System.Text.Json.Nodes;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Planning;
using static RollbackFunctions.Testing.DeployBuilder;

namespace RollbackFunctions.Core.Tests.Planning;

public sealed class RollbackPlannerTests
{
    private static readonly Dictionary<string, double> NoHistory = [];

    [Fact]
    public void Plan_WebhookOnlyDeploy_IsReady_InReverseDependencyOrder()
    {
        var plan = Plan(Record(steps: Diamond(StepStatus.Pending)));

        Assert.Equal(Readiness.Ready, plan.Readiness);
        Assert.Equal([["rollout"], ["config", "flags"], ["schema"]], plan.Levels.Select(l => l.Select(s => s.StepId).ToArray()));
        Assert.All(plan.Levels.SelectMany(l => l), s => Assert.Equal(PlannedRevert.Automatic, s.Revert));
    }

    [Fact]
    public void Plan_IrreversibleMigration_IsNotReversible_AndSaysWhich()
    {
        var schema = Step("schema", StepStatus.Pending) with { RevertMode = RevertMode.Manual, Captured = new JsonObject { ["irreversible"] = true } };

        var plan = Plan(Record(steps: [schema, Step("rollout", StepStatus.Pending, dependsOn: "schema")]));

        Assert.Equal(Readiness.NotReversible, plan.Readiness);
        var planned = plan.Levels.SelectMany(l => l).Single(s => s.StepId == "schema");
        Assert.Equal(PlannedRevert.Irreversible, planned.Revert);
        Assert.Contains("irreversible", planned.Why);
    }

    [Fact]
    public void Plan_KindThePolicyWantsApproved_NeedsHuman_WithThePolicyRule()
    {
        var plan = RollbackPlanner.Plan(Record(steps: Diamond(StepStatus.Pending)), ["webhook"], _ => null, NoHistory);

        Assert.Equal(Readiness.NeedsHuman, plan.Readiness);
        Assert.All(plan.Levels.SelectMany(l => l), s => Assert.StartsWith("policy: webhook steps in prod", s.Why));
    }

    [Fact]
    public void Plan_AFailedStep_IsPlannedToo_ItMayHaveChangedSomething_PastRevertTimesAreShown()
    {
        var deploy = Record(steps: [Step("schema", StepStatus.Failed), Step("rollout", StepStatus.Applied, dependsOn: "schema")]);

        var plan = RollbackPlanner.Plan(deploy, [], _ => null, new Dictionary<string, double> { ["webhook"] = 1.5 });

        Assert.Equal(["rollout", "schema"], plan.Levels.SelectMany(l => l).Select(s => s.StepId));
        Assert.All(plan.Levels.SelectMany(l => l), s => Assert.Equal(1.5, s.Expected));
    }

    [Fact]
    public void Plan_RehearsalThatFails_MakesItNotReversible_OneThatWouldNeedApproval_NeedsHuman()
    {
        var failed = Record(steps: Diamond(StepStatus.Pending)) with { Rehearsal = Rehearsed(("schema", StepRehearsal.Fails("conflict in db/schema.sql"))) };
        var destructive = Record(steps: Diamond(StepStatus.Pending)) with { Rehearsal = Rehearsed(("schema", StepRehearsal.WouldNeedApproval("deletes aws_s3_bucket.logs"))) };

        Assert.Equal(Readiness.NotReversible, Plan(failed).Readiness);
        Assert.Equal(Readiness.NeedsHuman, Plan(destructive).Readiness);
        Assert.Contains("deletes aws_s3_bucket.logs", Plan(destructive).Levels[^1].Single().Why);
    }

    [Fact]
    public void Unmet_Rehearsed_NeedsAFreshPassingRehearsalOfEveryStep_OrAWaiver()
    {
        var deploy = Record(steps: Diamond(StepStatus.Pending));
        var fresh = deploy with { Rehearsal = Rehearsed(("schema", StepRehearsal.Ok("")), ("config", StepRehearsal.Ok("")), ("flags", StepRehearsal.WouldNeedApproval("")), ("rollout", StepRehearsal.Ok(""))) };
        var partial = fresh with { Rehearsal = fresh.Rehearsal! with { Steps = new Dictionary<string, StepRehearsal>(fresh.Rehearsal.Steps) { ["rollout"] = StepRehearsal.NotRehearsable("no rehearseUrl") } } };
        var maxAge = TimeSpan.FromHours(1);

        Assert.Contains("rehearse first", Unmet(deploy, RequiredReadiness.Rehearsed, T0, maxAge));
        Assert.Null(Unmet(fresh, RequiredReadiness.Rehearsed, T0.AddMinutes(30), maxAge));
        Assert.Contains("rehearse first", Unmet(fresh, RequiredReadiness.Rehearsed, T0.AddHours(2), maxAge));
        Assert.Contains("rollout (NotRehearsable)", Unmet(partial, RequiredReadiness.Rehearsed, T0, maxAge));
        Assert.Null(Unmet(partial with { Waiver = new ReadinessWaiver("alice", "no dry run for the CDN purge", T0) }, RequiredReadiness.Rehearsed, T0, maxAge));
        Assert.Null(Unmet(deploy, RequiredReadiness.Plan, T0, maxAge));
        Assert.Null(Unmet(deploy, RequiredReadiness.None, T0, maxAge));
    }

    /// <summary>
    /// Found by review: readiness is a pre-flight requirement. Once a step is applied, a gate that
    /// closed for an aged rehearsal would stop the pipeline half-way with no rollback claimed.
    /// </summary>
    [Fact]
    public void Unmet_AfterTheFirstStepApplied_ARehearsalAgeingOutDoesNotCloseTheGate()
    {
        var deploy = Record(steps: [Step("schema"), Step("rollout", StepStatus.Pending, dependsOn: "schema")]) with
        {
            Rehearsal = Rehearsed(("schema", StepRehearsal.Ok("ok")), ("rollout", StepRehearsal.Ok("ok"))),
        };

        Assert.Null(Unmet(deploy, RequiredReadiness.Rehearsed, T0.AddMinutes(61), TimeSpan.FromHours(1)));
    }

    private static string? Unmet(DeployRecord deploy, RequiredReadiness required, DateTimeOffset now, TimeSpan maxAge) =>
        RollbackPlanner.Unmet(Plan(deploy), deploy, required, maxAge, now);

    private static RollbackPlan Plan(DeployRecord deploy) => RollbackPlanner.Plan(deploy, [], _ => null, NoHistory);

    private static Rehearsal Rehearsed(params (string Step, StepRehearsal Result)[] steps) =>
        new(T0, steps.ToDictionary(s => s.Step, s => s.Result));
}
