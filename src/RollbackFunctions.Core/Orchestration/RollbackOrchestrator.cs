using Microsoft.DurableTask;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Executors;
using RollbackFunctions.Core.Planning;
using RollbackFunctions.Core.Rollbacks;

namespace RollbackFunctions.Core.Orchestration;

/// <summary>
/// Rolls a deploy back: halt first (restore the safe state before anything else), then revert the
/// applied steps level by level in reverse dependency order, then record the outcome.
/// Coordinates only; every effect is an activity, so the orchestration replays deterministically.
/// </summary>
public sealed class RollbackOrchestrator : TaskOrchestrator<RollbackRequest, RollbackResult>
{
    /// <summary>Step statuses that leave the world unreverted: what depends on them must not be touched.</summary>
    private static readonly HashSet<StepStatus> NotReverted =
        [StepStatus.RevertFailed, StepStatus.Blocked, StepStatus.Manual, StepStatus.NotApproved];

    public override async Task<RollbackResult> RunAsync(TaskOrchestrationContext context, RollbackRequest input)
    {
        var deploy = await context.CallActivityAsync<DeployRecord>(
            nameof(HaltDeployActivity), new HaltRequest(input.RollbackId, input.DeployId));

        var plan = ReversePlanner.Plan(deploy.Steps);
        var graph = ReversePlanner.GraphOf(deploy.Steps);
        var steps = deploy.Steps.ToDictionary(s => s.Id);
        var statuses = plan.Skipped.ToDictionary(id => id, _ => StepStatus.Skipped);

        await context.CallActivityAsync<bool>(
            nameof(RecordProgressActivity),
            new ProgressUpdate(input.RollbackId, RollbackPhase.RollingBack, PlannedRows(plan, steps)));

        var retry = TaskOptions.FromRetryPolicy(new RetryPolicy(
            input.Settings.StepMaxAttempts, input.Settings.StepFirstRetryInterval, input.Settings.StepBackoffCoefficient));
        for (var level = 0; level < plan.Levels.Count; level++)
        {
            var started = new List<(string StepId, Task<StepRevertResult> Revert)>();
            var decided = new List<RollbackStepRecord>();
            foreach (var stepId in plan.Levels[level])
            {
                var step = steps[stepId];
                var blocker = graph.DependentsOf(stepId).FirstOrDefault(d => statuses.TryGetValue(d, out var s) && NotReverted.Contains(s));
                if (blocker is not null)
                {
                    statuses[stepId] = StepStatus.Blocked;
                    decided.Add(Row(step, level, StepStatus.Blocked, $"not reverted because {blocker} was not ({statuses[blocker]})"));
                }
                else if (step.RevertMode == RevertMode.Manual)
                {
                    statuses[stepId] = StepStatus.Manual;
                    decided.Add(Row(step, level, StepStatus.Manual, "revert mode is manual: work for a human"));
                }
                else
                {
                    var request = new StepRevertRequest(input.RollbackId, deploy.DeployId, stepId, step.Kind, step.Params, deploy.Version, deploy.PreviousVersion);
                    started.Add((stepId, context.CallActivityAsync<StepRevertResult>(nameof(RevertStepActivity), request, retry)));
                }
            }

            if (decided.Count > 0)
            {
                await context.CallActivityAsync<bool>(nameof(RecordProgressActivity), new ProgressUpdate(input.RollbackId, null, decided));
            }

            foreach (var (stepId, revert) in started)
            {
                statuses[stepId] = await OutcomeOf(revert);
            }
        }

        var notReverted = statuses.Where(s => NotReverted.Contains(s.Value)).Select(s => $"{s.Key} ({s.Value})").ToList();
        var phase = notReverted.Count == 0 ? RollbackPhase.Succeeded : RollbackPhase.Failed;
        var summary = phase == RollbackPhase.Succeeded
            ? $"reverted {statuses.Count(s => s.Value == StepStatus.Reverted)} step(s) of {deploy.Service} {deploy.Version} in {deploy.Environment}"
            : $"rollback incomplete, manual intervention needed: not reverted {string.Join(", ", notReverted)}";
        await context.CallActivityAsync<bool>(
            nameof(CompleteRollbackActivity),
            new CompletionRequest(input.RollbackId, input.DeployId, phase, summary, statuses));
        return new RollbackResult(input.RollbackId, phase, summary, statuses);
    }

    /// <summary>A revert that threw on every attempt is a failed revert, not a failed rollback.</summary>
    private static async Task<StepStatus> OutcomeOf(Task<StepRevertResult> revert)
    {
        try
        {
            return (await revert).Outcome == RevertOutcome.Reverted ? StepStatus.Reverted : StepStatus.RevertFailed;
        }
        catch (TaskFailedException)
        {
            return StepStatus.RevertFailed;
        }
    }

    private static List<RollbackStepRecord> PlannedRows(RevertPlan plan, IReadOnlyDictionary<string, DeployStep> steps)
    {
        var rows = plan.Levels
            .SelectMany((level, index) => level.Select(id => Row(steps[id], index, StepStatus.Pending, "planned")))
            .ToList();
        rows.AddRange(plan.Skipped.Select(id => Row(steps[id], -1, StepStatus.Skipped, $"never applied (was {steps[id].Status})")));
        return rows;
    }

    private static RollbackStepRecord Row(DeployStep step, int level, StepStatus status, string detail) =>
        new(step.Id, step.Kind, level, status, 0, null, null, detail);
}
