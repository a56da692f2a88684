using RollbackFunctions.Core.Deploys;
using static RollbackFunctions.Core.Tests.Orchestration.TargetTimeline;

namespace RollbackFunctions.Core.Tests.Orchestration;

/// <summary>
/// SAFETY.md 2 on the real engine: a step in flight at the halt (running, or pending with every
/// dependency applied) is maybe applied: reverted when its target differs from before the deploy,
/// and what it depends on waits for it.
/// </summary>
public sealed class InFlightStepTests : IAsyncLifetime
{
    private readonly RollbackHarness harness = new();

    [Fact]
    public async Task Revert_RunningStepThatChangedItsTarget_IsRevertedBeforeTheLayerUnderIt()
    {
        harness.Targets["schema"] = "v1";
        harness.Targets["app"] = "1.4.1";
        var timeline = await new TargetTimeline(harness.Targets).RegisterAsync(Step("schema", "schema"), Step("rollout", "app", "schema"));
        await timeline.ApplyAsync("schema", "v2");
        await timeline.ApplyAsync("rollout", "1.4.2", StepStatus.Running); // the rollout whose pods fire the alert

        var result = await harness.WaitAsync(await harness.StartAsync(timeline.Deploy));

        Assert.Equal(StepStatus.Reverted, result.Steps["rollout"]);
        Assert.Equal(StepStatus.Reverted, result.Steps["schema"]);
        Assert.Equal(("1.4.1", "v1"), (harness.Targets["app"], harness.Targets["schema"]));
        Assert.True(harness.Targets.Span("rollout").End < harness.Targets.Span("schema").Start, "the schema was reverted under a rollout in flight");
    }

    [Fact]
    public async Task Revert_PendingStepWithItsDependencyApplied_UntouchedIsUnchanged_AndTheDependencyIsReverted()
    {
        harness.Targets["schema"] = "v1";
        harness.Targets["app"] = "1.4.1";
        var timeline = await new TargetTimeline(harness.Targets).RegisterAsync(Step("schema", "schema"), Step("rollout", "app", "schema"));
        await timeline.ApplyAsync("schema", "v2"); // the rollout was about to start at the halt

        var result = await harness.WaitAsync(await harness.StartAsync(timeline.Deploy));

        Assert.Equal(StepStatus.Unchanged, result.Steps["rollout"]);
        Assert.Equal(StepStatus.Reverted, result.Steps["schema"]);
        Assert.Equal("1.4.1", harness.Targets["app"]);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await harness.DisposeAsync();
}
