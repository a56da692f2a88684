using CsCheck;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Orchestration;
using RollbackFunctions.Core.Planning;
using RollbackFunctions.Core.Rollbacks;
using RollbackFunctions.Core.Tests.TestDoubles;

namespace RollbackFunctions.Core.Tests.Orchestration;

/// <summary>
/// The model-based safety test of SAFETY.md 1, 2, 4 and 5: random timelines (late registrations,
/// overlapping deploys, hotfixes, steps in flight at the halt, crashes of a revert, approvals granted
/// or refused) run through registration and CI's reports as the API does them, then the real
/// orchestrator on the in-process engine over stand-in targets; after each run the invariants are
/// checked. A few cases run by default; <c>ROLLBACK_PROPERTY_CASES</c> runs more. A failure prints
/// its seed and shrunk timeline (CsCheck); <c>ROLLBACK_PROPERTY_SEED</c> replays one.
/// </summary>
public sealed class RevertSafetyPropertyTests : IAsyncLifetime
{
    private readonly RollbackHarness harness = new();
    private int run;

    private static long Cases => long.TryParse(Environment.GetEnvironmentVariable("ROLLBACK_PROPERTY_CASES"), out var n) ? n : 4;

    [Fact]
    public async Task Rollback_AnyTimeline_KeepsTheSafetyInvariants() =>
        await RevertTimeline.Generator.SampleAsync(
            CheckAsync,
            iter: Cases,
            threads: 1,
            seed: Environment.GetEnvironmentVariable("ROLLBACK_PROPERTY_SEED"),
            print: timeline => timeline.ToString());

    private async Task CheckAsync(RevertTimeline timeline)
    {
        var world = harness.Targets;
        var prefix = $"r{Interlocked.Increment(ref run)}-{Guid.NewGuid():N}"[..12];
        string Target(int i) => $"{prefix}-t{i}";
        var steps = timeline.Steps.Select((s, i) => TargetTimeline.Step($"s{i}", Target(i), s.DependsOn.Select(d => $"s{d}").ToArray())).ToArray();
        for (var i = 0; i < steps.Length; i++)
        {
            world[Target(i)] = "old";
        }

        // Registration (after the change, for late ones), then CI's reports in step order.
        foreach (var (plan, i) in timeline.Steps.Select((p, i) => (p, i)).Where(p => p.p.RegisteredLate))
        {
            world[Target(i)] = NewValue(plan);
        }

        var deploy = await new TargetTimeline(world).RegisterAsync(steps);
        var newer = await new TargetTimeline(world).RegisterAsync(steps.Select(s => s with { Id = $"{s.Id}-next" }).ToArray());
        foreach (var (plan, i) in timeline.Steps.Select((p, i) => (p, i)))
        {
            await ReportAsync(deploy, plan, $"s{i}");
            if (plan.Hotfix)
            {
                world[Target(i)] = "hotfix";
            }

            if (plan.NewerDeploy)
            {
                await newer.ApplyAsync($"s{i}-next", "next");
            }

            if (plan.Crash != Crash.None)
            {
                world.CrashOnce(Target(i), plan.Crash == Crash.AfterWriting);
            }

            if (plan.Window == Window.ChangedBeforeWrite)
            {
                world.ChangeBeforeWrite(Target(i), "sneaked-in");
            }

            if (plan.Window == Window.DestructiveChangedDuringApproval)
            {
                world.Destructive[Target(i)] = true;
            }
        }

        var atHalt = timeline.Steps.Select((_, i) => world[Target(i)]).ToArray();
        var id = await harness.StartAsync(deploy.Deploy);
        var asked = new HashSet<string>();
        var approvedOver = timeline.Steps.Select(_ => new HashSet<string>()).ToArray();
        var answering = AnswerApprovalsAsync(id, timeline, asked, approvedOver, Target);
        var result = await harness.WaitAsync(id);
        await answering;

        var writes = world.Writes.Where(w => w.IdempotencyKey.StartsWith(id + ":", StringComparison.Ordinal)).ToList();
        var graph = ReversePlanner.GraphOf(deploy.Deploy.Steps);
        for (var i = 0; i < steps.Length; i++)
        {
            var (plan, stepId, before) = (timeline.Steps[i], $"s{i}", deploy.Deploy.Steps[i].Before!.Shown["value"]);
            var mine = writes.Where(w => w.IdempotencyKey == $"{id}:{stepId}").ToList();
            var status = result.Steps[stepId];
            var after = deploy.Deploy.Steps[i].After?.Shown["value"];

            // 4. Once per effect.
            Assert.True(mine.Count <= 1, $"{stepId}: {mine.Count} writes under one Idempotency-Key");

            // 1. Only what this deploy changed: a write restores "before", over what the deploy made,
            // over an in-flight change, or over the very state an operator saw when approving (not
            // one that came during the wait or after the read: S1 and the read-write gap).
            foreach (var write in mine)
            {
                Assert.Equal(before, write.To);
                var allowed = write.From == after
                    || (after is null && write.From != before)
                    || approvedOver[i].Contains(write.From);
                Assert.True(allowed, $"{stepId}: wrote over '{write.From}', which this deploy did not make (after '{after}', before '{before}')");
            }

            // 5. Statuses tell the truth.
            Assert.True(status is StepStatus.Reverted or StepStatus.Unchanged or StepStatus.NotApproved or StepStatus.Skipped or StepStatus.Blocked, $"{stepId} ended {status}");
            if (status == StepStatus.Reverted)
            {
                Assert.True(mine.Count == 1 && world[Target(i)] == before, $"{stepId} says reverted but nothing was restored");
            }
            else
            {
                Assert.Empty(mine);
            }

            if (status == StepStatus.Unchanged)
            {
                Assert.Equal(before, atHalt[i]);
            }

            if (status == StepStatus.NotApproved)
            {
                Assert.False(plan.ApproveDrift, $"{stepId}: approved, yet not reverted");
                Assert.NotEqual(before, world[Target(i)]);
            }

            // 2. Never a lower layer under a moving upper one: what depends on it finished first.
            if (world.Starts.TryGetValue($"{id}:{stepId}", out var started))
            {
                foreach (var dependent in graph.AllDependentsOf(stepId))
                {
                    Assert.True(!world.Starts.ContainsKey($"{id}:{dependent}") || world.Ends.GetValueOrDefault($"{id}:{dependent}", long.MaxValue) < started, $"{stepId} was reverted while {dependent}, above it, was still reverting");
                }
            }
        }
    }

    private static string NewValue(StepPlan plan) => plan.Progress == Progress.FailedHalfway ? "half" : "new";

    private static async Task ReportAsync(TargetTimeline deploy, StepPlan plan, string stepId)
    {
        switch (plan.Progress)
        {
            case Progress.Applied:
                await deploy.ApplyAsync(stepId, NewValue(plan));
                break;
            case Progress.FailedHalfway:
                await deploy.ApplyAsync(stepId, NewValue(plan), StepStatus.Failed);
                break;
            case Progress.RunningLanded:
                await deploy.ApplyAsync(stepId, NewValue(plan), StepStatus.Running);
                break;
            case Progress.RunningNotLanded:
                await deploy.ReportAsync(stepId, StepStatus.Running);
                break;
            case Progress.PendingLanded:
                await deploy.ApplyAsync(stepId, NewValue(plan), StepStatus.Pending);
                break;
        }
    }

    /// <summary>
    /// Answers each approval request (each ask once) as the timeline says, noting what the target
    /// held when the operator approved; a step whose window says so changes during its first wait.
    /// </summary>
    private async Task AnswerApprovalsAsync(string rollbackId, RevertTimeline timeline, HashSet<string> asked, HashSet<string>[] approvedOver, Func<int, string> target)
    {
        var answered = new HashSet<string>();
        while ((await harness.Rollbacks.GetAsync(rollbackId, default))?.Phase.IsTerminal() == false)
        {
            foreach (var row in await harness.Rollbacks.GetStepsAsync(rollbackId, default))
            {
                if (row is { Status: StepStatus.AwaitingApproval, ApprovalDue: not null } && answered.Add($"{row.StepId}:{row.PlanDigest}:{row.ApprovalDue:O}"))
                {
                    var index = int.Parse(row.StepId[1..], System.Globalization.CultureInfo.InvariantCulture);
                    var plan = timeline.Steps[index];
                    if (plan.ApproveDrift)
                    {
                        approvedOver[index].Add(harness.Targets[target(index)]);
                    }

                    if (asked.Add(row.StepId) && plan.Window is Window.ChangedDuringApproval or Window.DestructiveChangedDuringApproval)
                    {
                        harness.Targets[target(index)] = "during-the-wait";
                    }

                    await harness.RaiseAsync(rollbackId, RollbackEvents.Approval(row.StepId), new OperatorDecision(plan.ApproveDrift, "operator", "property test", plan.ApproveDrift ? row.PlanDigest : null));
                }
            }

            await Task.Delay(20);
        }
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await harness.DisposeAsync();
}
