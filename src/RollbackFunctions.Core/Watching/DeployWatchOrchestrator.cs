using Microsoft.DurableTask;

namespace RollbackFunctions.Core.Watching;

/// <summary>Input of <see cref="DeployWatchOrchestrator"/>; <see cref="Streaks"/> carries the watcher's memory across ContinueAsNew.</summary>
public sealed record WatchRequest(string DeployId, TimeSpan ShortestTimer, IReadOnlyDictionary<string, CheckStreak> Streaks, int RoundsPerGeneration = 40);

/// <summary>How a watcher ended.</summary>
public sealed record WatchResult(string DeployId, string Ending, string? RollbackId);

/// <summary>
/// Watches one deploy from registration through its bake window (the monitor pattern): a round of
/// samples, the <see cref="WatchPolicy"/>, a durable timer, again; every few dozen rounds it
/// continues as new so its history stays bounded. It ends by itself when the deploy is stable,
/// halted or rolled back, and on a breach hands over to the one rollback path. Instance id:
/// <see cref="InstanceIdFor"/>, so there is at most one per deploy.
/// </summary>
public sealed class DeployWatchOrchestrator : TaskOrchestrator<WatchRequest, WatchResult>
{
    public static string InstanceIdFor(string deployId) => $"watch-{deployId}";

    public override async Task<WatchResult> RunAsync(TaskOrchestrationContext context, WatchRequest input)
    {
        var retry = TaskOptions.FromRetryPolicy(new RetryPolicy(5, TimeSpan.FromSeconds(2), 2));
        var streaks = input.Streaks;
        for (var round = 0; round < input.RoundsPerGeneration; round++)
        {
            var sample = await context.CallActivityAsync<WatchRound>(nameof(SampleDeployActivity), new WatchSampleRequest(input.DeployId), retry);
            if (!sample.Live)
            {
                return new WatchResult(input.DeployId, $"ended: {sample.EndReason}", null);
            }

            (streaks, var decision) = WatchPolicy.Next(streaks, sample);
            if (decision.CannotEvaluate.Count > 0)
            {
                var detail = string.Join("; ", decision.CannotEvaluate.Select(c => $"{c.Result.Name}: {c.Result.Detail}"));
                await context.CallActivityAsync<bool>(nameof(SendNoticeActivity), new CannotEvaluateRequest(input.DeployId, decision.CannotEvaluate.Select(c => c.Result.Name).ToList(), detail), retry);
            }

            if (decision.Breaches.Count > 0)
            {
                var outcome = await context.CallActivityAsync<BreachOutcome>(nameof(ActOnBreachActivity), new BreachRequest(input.DeployId, decision.Breaches, sample.Observe), retry);
                // Replay-safe: logged once, not on every replay.
                Orchestration.OrchestrationLog.WatchBreached(context.CreateReplaySafeLogger<DeployWatchOrchestrator>(), input.DeployId, outcome.Summary);
                if (outcome.Rollback is { } rollback)
                {
                    return new WatchResult(input.DeployId, $"breached: {outcome.Summary}", rollback.RollbackId);
                }
            }

            var interval = sample.Interval > input.ShortestTimer ? sample.Interval : input.ShortestTimer;
            await context.CreateTimer(interval, CancellationToken.None);
        }

        context.ContinueAsNew(input with { Streaks = streaks });
        return new WatchResult(input.DeployId, "continued as new", null);
    }
}
