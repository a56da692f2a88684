using System.Text.Json.Nodes;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Planning;
using RollbackFunctions.Core.Policy;
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
        var plan = RollbackPlanner.Plan(Record(steps: Diamond(StepStatus.Pending)), PlanRules.None with { Approvals = new RollbackApprovals(["webhook"], "prod", null) }, _ => null, NoHistory);

        Assert.Equal(Readiness.NeedsHuman, plan.Readiness);
        Assert.All(plan.Levels.SelectMany(l => l), s => Assert.StartsWith("policy: webhook steps in prod", s.Why));
    }

    [Fact]
    public void Plan_AFailedStep_IsPlannedToo_ItMayHaveChangedSomething_PastRevertTimesAreShown()
    {
        var deploy = Record(steps: [Step("schema", StepStatus.Failed), Step("rollout", StepStatus.Applied, dependsOn: "schema")]);

        var plan = RollbackPlanner.Plan(deploy, PlanRules.None, _ => null, new Dictionary<string, double> { ["webhook"] = 1.5 });

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

    private static readonly PlanRules TerraformAsks = PlanRules.None with
    {
        AsksApprovalWhen = step => step.Kind == "terraform" ? "its plan deletes or replaces a resource" : null,
    };

    private static DeployStep Infra(StepStatus status, DateTimeOffset? updatedAt = null) =>
        Step("infra", status) with { Kind = "terraform", UpdatedAt = updatedAt };

    /// <summary>
    /// Found by review of issue 19: the plan said a bare "automatic" for a terraform step whose revert
    /// waits for approval whenever its plan deletes; it now names that condition until a rehearsal of
    /// what was applied shows the effect or its absence.
    /// </summary>
    [Fact]
    public void Plan_StepJudgedByEffectAtRunTime_Unrehearsed_IsAutomatic_NamingWhenItWouldAsk()
    {
        var plan = Plan(Record(steps: [Infra(StepStatus.Pending)]), TerraformAsks);

        var infra = plan.Levels.Single().Single();
        Assert.Equal(PlannedRevert.Automatic, infra.Revert);
        Assert.Contains("unless its plan deletes or replaces a resource: then it waits for an operator's approval", infra.Why);
        Assert.Contains("/rehearse", infra.Why);
    }

    [Fact]
    public void Plan_StepJudgedByEffect_RehearsedBeforeItWasApplied_StillNamesTheCondition_AfterwardsSaysNoneFound()
    {
        var early = Record(steps: [Infra(StepStatus.Pending)]) with { Rehearsal = Rehearsed(("infra", StepRehearsal.Ok("no changes"))) };
        var late = Record(steps: [Infra(StepStatus.Applied, T0.AddMinutes(-5))]) with { Rehearsal = Rehearsed(("infra", StepRehearsal.Ok("updates a"))) };

        Assert.Contains("unless its plan deletes", Plan(early, TerraformAsks).Levels.Single().Single().Why);
        Assert.Contains("after the step was applied, found no such effect", Plan(late, TerraformAsks).Levels.Single().Single().Why);
        Assert.Equal(Readiness.Ready, Plan(late, TerraformAsks).Readiness);
    }

    [Fact]
    public void Plan_RevertModeApproval_SaysItIsAStepSetting_AsTheRollbackWouldAsk()
    {
        var plan = Plan(Record(steps: [Step("schema", StepStatus.Pending, RevertMode.Approval)]));

        Assert.Equal(Readiness.NeedsHuman, plan.Readiness);
        Assert.Equal("step setting: revert mode is approval", plan.Levels.Single().Single().Why);
        Assert.Contains("schema: step setting: revert mode is approval", plan.Why);
    }

    /// <summary>Readiness reflects policy as the rollback meets it: with autoRollback off no alert starts the rollback.</summary>
    [Fact]
    public void Plan_AutoRollbackOffInTheEnvironment_NeedsHuman_SayingAnOperatorStartsIt()
    {
        var policy = new PolicyOptions { Environments = { ["prod"] = new EnvironmentPolicy { AutoRollback = false } } };
        var deploy = Record(steps: Diamond(StepStatus.Pending));

        var plan = Plan(deploy, PlanRules.For(policy, deploy, _ => null));

        Assert.Equal(Readiness.NeedsHuman, plan.Readiness);
        Assert.Contains("autoRollback is off for prod", plan.Why);
        Assert.All(plan.Levels.SelectMany(l => l), s => Assert.Equal(PlannedRevert.Automatic, s.Revert));
        Assert.Equal(Readiness.Ready, Plan(deploy, PlanRules.For(new PolicyOptions(), deploy, _ => null)).Readiness);
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

    private static RollbackPlan Plan(DeployRecord deploy, PlanRules? rules = null) => RollbackPlanner.Plan(deploy, rules ?? PlanRules.None, _ => null, NoHistory);

    private static Rehearsal Rehearsed(params (string Step, StepRehearsal Result)[] steps) =>
        new(T0, steps.ToDictionary(s => s.Step, s => s.Result));
}
