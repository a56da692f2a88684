using System.Text.Json.Nodes;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Executors;
using RollbackFunctions.Core.Tests.TestDoubles;
using RollbackFunctions.Testing;

namespace RollbackFunctions.Core.Tests.Orchestration;

/// <summary>
/// A deploy of <c>target</c> steps taken through what the API does with CI's calls: registration
/// captures every target (<see cref="StepCapture"/>), a step report reads the state the step made
/// (<see cref="StepCapture.ObserveAfterAsync"/>, <see cref="DeployRecord.Reported"/>).
/// </summary>
internal sealed class TargetTimeline(StandInTargets targets)
{
    private readonly StepCapture capture = new(new StepExecutorCatalog([targets]));

    public DeployRecord Deploy { get; private set; } = null!;

    public static DeployStep Step(string id, string target, params string[] dependsOn) =>
        new(id, "target", dependsOn, new JsonObject { ["target"] = target }, RevertMode.Auto, StepStatus.Pending, null);

    public async Task<TargetTimeline> RegisterAsync(params DeployStep[] steps)
    {
        var (record, failure) = await capture.CaptureAsync(DeployBuilder.Record(id: $"d-{Guid.NewGuid():N}", steps: steps), CancellationToken.None);
        Assert.Null(failure);
        Deploy = record!;
        return this;
    }

    /// <summary>CI changes the step's target and reports it (applied, failed or running; pending: not yet).</summary>
    public async Task<TargetTimeline> ApplyAsync(string stepId, string value, StepStatus report = StepStatus.Applied)
    {
        var step = Deploy.FindStep(stepId)!;
        targets[(string)step.Params["target"]!] = value;
        if (report != StepStatus.Pending)
        {
            await ReportAsync(stepId, report);
        }

        return this;
    }

    public async Task ReportAsync(string stepId, StepStatus report)
    {
        var step = Deploy.FindStep(stepId)!;
        var after = report == StepStatus.Running ? null : (await capture.ObserveAfterAsync(Deploy.DeployId, step, CancellationToken.None)).State;
        Deploy = Deploy.Reported(stepId, report, after, DateTimeOffset.UtcNow) ?? Deploy;
    }
}
