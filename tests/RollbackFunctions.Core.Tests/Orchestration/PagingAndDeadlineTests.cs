using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Notifications;
using RollbackFunctions.Core.Rollbacks;
using static RollbackFunctions.Testing.DeployBuilder;

namespace RollbackFunctions.Core.Tests.Orchestration;

public sealed class PagingAndDeadlineTests : IAsyncLifetime
{
    private readonly RollbackHarness harness = new();

    [Fact]
    public async Task Run_PagesRollbackStartedBeforeTheSecondLevel_AndResolvesAtTheEnd()
    {
        var result = await harness.RunAsync(Diamond());

        var journal = harness.Journal;
        Assert.True(journal.IndexOf("page:RollbackStarted") < journal.IndexOf("revert:config"), string.Join(", ", journal.Entries));
        Assert.True(journal.IndexOf("page:RollbackStarted") < journal.IndexOf("revert:flags"), string.Join(", ", journal.Entries));
        Assert.Equal([PageKind.RollbackStarted, PageKind.RollbackSucceeded], harness.Pager.Kinds);
        var started = harness.Pager.Pages.First();
        Assert.Contains("in progress", started.Summary);
        Assert.Contains("rollout -> config + flags -> schema", started.Summary);
        Assert.Equal(RollbackPhase.Succeeded, result.Phase);
    }

    /// <summary>
    /// Issue 21: the first revert waited for the "rollback started" page to be answered, one activity
    /// round trip and the pager's reply before anything was undone. The page now goes out with the
    /// first level; its delivery is still awaited before the second.
    /// </summary>
    [Fact]
    public async Task Run_SlowPager_FirstLevelRevertsWhileThePageIsInFlight_SecondLevelWaitsForIt()
    {
        // Long enough that a loaded machine (three test projects on two cores) still starts the first
        // revert within it: the order is the product's, the margin is the test's.
        harness.Pager.Delays[PageKind.RollbackStarted] = TimeSpan.FromSeconds(5);
        var settings = RollbackHarness.FastSettings with { PageWaitLimit = TimeSpan.FromSeconds(20) };

        await harness.RunAsync(Diamond(), settings);

        var journal = harness.Journal;
        Assert.True(journal.IndexOf("revert:rollout") < journal.IndexOf("page:RollbackStarted"), string.Join(", ", journal.Entries));
        Assert.True(journal.IndexOf("page:RollbackStarted") < journal.IndexOf("revert:config"), string.Join(", ", journal.Entries));
    }

    /// <summary>
    /// The plan's rows are written beside the first reverts. One that landed after a revert wrote its
    /// step's row would turn it back into "planned" on the status page.
    /// </summary>
    [Fact]
    public async Task Run_PlanWriteLandsAfterTheFirstReverts_EveryStepRowSaysReverted()
    {
        harness.Rollbacks.BeforeStep = row => row.Status == StepStatus.Pending ? Task.Delay(TimeSpan.FromSeconds(1)) : Task.CompletedTask;

        var result = await harness.RunAsync(Diamond());

        var rows = await harness.Rollbacks.GetStepsAsync(result.RollbackId, default);
        Assert.All(rows, row => Assert.Equal(StepStatus.Reverted, row.Status));
        Assert.Equal([("rollout", 0), ("config", 1), ("flags", 1), ("schema", 2)], rows.Select(r => (r.StepId, r.Level)));
    }

    /// <summary>An instance started before issue 21 (no action order in its input) replays its own order: the page first.</summary>
    [Fact]
    public async Task Run_InstanceOfThePageFirstOrder_StillPagesBeforeTheFirstRevert()
    {
        harness.ActionOrder = null;
        harness.Pager.Delays[PageKind.RollbackStarted] = TimeSpan.FromMilliseconds(300);

        var result = await harness.RunAsync(Diamond());

        var journal = harness.Journal;
        Assert.True(journal.IndexOf("page:RollbackStarted") < journal.IndexOf("revert:rollout"), string.Join(", ", journal.Entries));
        var head = await harness.Rollbacks.GetAsync(result.RollbackId, default);
        Assert.Equal([RollbackPhase.Paging, RollbackPhase.RollingBack, RollbackPhase.Succeeded], head!.Timeline.Select(t => t.Phase));
    }

    /// <summary>Issue 9, finding 16: a page every channel refused was never sent again.</summary>
    [Fact]
    public async Task Run_PagerDown_PagesAreRetriedUntilDelivered()
    {
        harness.Pager.FailuresLeft[PageKind.RollbackStarted] = 2;
        harness.Pager.FailuresLeft[PageKind.RollbackSucceeded] = 2;

        await harness.RunAsync([Step("only")]);

        Assert.Equal([PageKind.RollbackStarted, PageKind.RollbackSucceeded], harness.Pager.Kinds);
        Assert.Equal(2, harness.Journal.Entries.Count(e => e == "page-failed:RollbackStarted"));
    }

    /// <summary>Issue 9, finding 16: a slow "started" page could land after the resolve and reopen the incident.</summary>
    [Fact]
    public async Task Run_SlowFirstPage_TheResolveStillComesLast()
    {
        // Slower than the wait before the first revert (300 ms), well within the final page's bound (6 x 300 ms).
        harness.Pager.Delays[PageKind.RollbackStarted] = TimeSpan.FromMilliseconds(700);
        var settings = RollbackHarness.FastSettings with { PageWaitLimit = TimeSpan.FromMilliseconds(300) };

        await harness.RunAsync([Step("only")], settings);

        Assert.Equal([PageKind.RollbackStarted, PageKind.RollbackSucceeded], harness.Pager.Kinds);
    }

    [Fact]
    public async Task Run_PhasesFollowTheDocumentedOrder()
    {
        var result = await harness.RunAsync([Step("only")]);

        var head = await harness.Rollbacks.GetAsync(result.RollbackId, default);
        // Paging and the first reverts start together: the phase goes from halting straight to rollingBack.
        Assert.Equal(
            [RollbackPhase.RollingBack, RollbackPhase.Succeeded],
            head!.Timeline.Select(t => t.Phase));
        Assert.Contains("paging on-call", head.Timeline[0].Note);
    }

    [Fact]
    public async Task Run_StepPastItsDeadline_PagesStuckAndLeavesDependenciesUnreverted()
    {
        harness.Executor.Delays["rollout"] = TimeSpan.FromSeconds(5);
        var steps = new[] { Step("schema"), Step("rollout", dependsOn: "schema") with { Deadline = TimeSpan.FromMilliseconds(500) } };

        var result = await harness.RunAsync(steps);

        Assert.Equal(StepStatus.TimedOut, result.Steps["rollout"]);
        Assert.Equal(StepStatus.Blocked, result.Steps["schema"]);
        Assert.Equal(RollbackPhase.Failed, result.Phase);
        Assert.Contains(PageKind.RollbackStuck, harness.Pager.Kinds);
        Assert.Contains("deadline", harness.Pager.Pages.Single(p => p.Kind == PageKind.RollbackStuck).Summary);
        Assert.Equal(PageKind.RollbackFailed, harness.Pager.Kinds[^1]);
    }

    [Fact]
    public async Task Run_PerStepMaxAttempts_OverridesTheDefault()
    {
        harness.Executor.ThrowTimes("only", 100);

        var result = await harness.RunAsync([Step("only") with { MaxAttempts = 1 }]);

        Assert.Single(harness.Executor.Calls);
        Assert.Equal(StepStatus.RevertFailed, result.Steps["only"]);
    }

    [Fact]
    public async Task Run_FailedRollback_EscalatesNamingWhatWasAndWasNotReverted()
    {
        harness.Executor.Failing.Add("config");

        var result = await harness.RunAsync(Diamond());

        var escalation = harness.Pager.Pages.Last();
        Assert.Equal(PageKind.RollbackFailed, escalation.Kind);
        Assert.Contains("manual intervention", escalation.Summary);
        Assert.Contains("reverted flags, rollout", escalation.Summary);
        Assert.Contains("config (RevertFailed)", escalation.Summary);
        Assert.Contains("schema (Blocked)", escalation.Summary);
        Assert.Equal(escalation.Summary, result.Summary);
    }

    [Fact]
    public async Task Run_EveryActionIsAudited()
    {
        await harness.RunAsync([Step("only")]);

        var actions = harness.Audit.Entries.Select(e => e.Action).ToList();
        Assert.Contains("deploy.halted", actions);
        Assert.Contains("page.sent", actions);
        Assert.Contains("step.started", actions);
        Assert.Contains("step.finished", actions);
        Assert.Contains("phase.changed", actions);
        Assert.Equal("rollback.completed", actions.Last(a => a != "page.sent" && a != "phase.changed"));
    }

    [Fact]
    public async Task Run_ActivityFailsBeyondItsRetries_RollbackStillEndsFailedNotStuckInProgress()
    {
        var id = await harness.StartAsync([Step("only")], storeDeploy: false);

        var result = await harness.WaitAsync(id);

        Assert.Equal(RollbackPhase.Failed, result.Phase);
        Assert.Contains("failed unexpectedly", result.Summary);
        Assert.Contains("does not exist", result.Summary);
        Assert.Equal(RollbackPhase.Failed, (await harness.Rollbacks.GetAsync(id, default))!.Phase);
        Assert.Empty(harness.Executor.Calls);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => harness.DisposeAsync().AsTask();
}
