using Microsoft.DurableTask;
using RollbackFunctions.Core.Notifications;

namespace RollbackFunctions.Core.Watching;

/// <summary>
/// Input of <see cref="DeployWatchOrchestrator"/>; <see cref="Streaks"/> carries the watcher's memory
/// across ContinueAsNew. <see cref="ActiveDeployTimeout"/>: an active deploy silent longer is
/// abandoned (null for the default); <see cref="NoticeFirstRetry"/>: first wait of a notice's retry
/// policy (zero for the default).
/// </summary>
public sealed record WatchRequest(string DeployId, TimeSpan ShortestTimer, IReadOnlyDictionary<string, CheckStreak> Streaks, int RoundsPerGeneration = 40, TimeSpan? ActiveDeployTimeout = null, TimeSpan NoticeFirstRetry = default);

/// <summary>How a watcher ended.</summary>
public sealed record WatchResult(string DeployId, string Ending, string? RollbackId);

/// <summary>
/// Watches one deploy (the monitor pattern): a round of samples, the <see cref="WatchPolicy"/>, a
/// durable timer, again; every few dozen rounds it continues as new so its history stays bounded.
/// The first round takes the baseline; rounds are judged only once the deploy applied something.
/// It ends by itself when the deploy is superseded, abandoned, stable, halted or rolled back, and
/// when a breach hands over to the one rollback path. A refused breach does not end it: it samples
/// on and tries again once the policy allows. No fault ends it either: a failed round is an error
/// sample, and a failed hand-over is tried again on the next unhealthy sample. Notices go out on
/// the durable notice path without holding the sampling up. Instance id: <see cref="InstanceIdFor"/>.
/// </summary>
public sealed class DeployWatchOrchestrator : TaskOrchestrator<WatchRequest, WatchResult>
{
    public static string InstanceIdFor(string deployId) => $"watch-{deployId}";

    private static readonly TaskOptions Retry = TaskOptions.FromRetryPolicy(new RetryPolicy(3, TimeSpan.FromSeconds(1), 2));

    public override async Task<WatchResult> RunAsync(TaskOrchestrationContext context, WatchRequest input)
    {
        var streaks = input.Streaks;
        var notices = new List<Task>();
        var interval = WatchDefaults.MinWatchInterval;
        for (var round = 0; round < input.RoundsPerGeneration; round++)
        {
            var sample = await SampleAsync(context, input, interval);
            if (!sample.Live)
            {
                await SettleAsync(notices);
                return new WatchResult(input.DeployId, $"ended: {sample.EndCode}: {sample.EndReason}", null);
            }

            interval = sample.Fault is null ? sample.Interval : interval;
            if (sample.Judged)
            {
                (streaks, var decision) = WatchPolicy.Next(streaks, sample);
                notices.AddRange(Warnings(context, input, sample, decision));
                if (decision.Breaches.Count > 0)
                {
                    var outcome = await ActAsync(context, input, decision, sample);
                    if (outcome.HandedOver)
                    {
                        await SettleAsync(notices);
                        return new WatchResult(input.DeployId, $"breached: {outcome.Summary}", outcome.Rollback!.RollbackId);
                    }

                    if (outcome.Notice is { } notice)
                    {
                        notices.Add(Send(context, input, notice));
                    }
                    else
                    {
                        // Refused (or the hand-over failed): sample on, and try again on the next unhealthy sample.
                        streaks = WatchPolicy.Rearm(streaks, decision.Breaches);
                    }
                }
            }

            await context.CreateTimer(interval > input.ShortestTimer ? interval : input.ShortestTimer, CancellationToken.None);
        }

        await SettleAsync(notices);
        context.ContinueAsNew(input with { Streaks = streaks });
        return new WatchResult(input.DeployId, "continued as new", null);
    }

    /// <summary>One round; a round the engine could not run at all (after its retries) is a faulted round, not the watcher's end.</summary>
    private static async Task<WatchRound> SampleAsync(TaskOrchestrationContext context, WatchRequest input, TimeSpan interval)
    {
        try
        {
            return await context.CallActivityAsync<WatchRound>(nameof(SampleDeployActivity), new WatchSampleRequest(input.DeployId, input.ActiveDeployTimeout), Retry);
        }
        catch (TaskFailedException e)
        {
            return WatchRound.Faulted(e.FailureDetails.ErrorMessage, interval);
        }
    }

    private static async Task<BreachOutcome> ActAsync(TaskOrchestrationContext context, WatchRequest input, WatchDecision decision, WatchRound sample)
    {
        try
        {
            var outcome = await context.CallActivityAsync<BreachOutcome>(nameof(ActOnBreachActivity), new BreachRequest(input.DeployId, decision.Breaches, sample.Observe), Retry);
            // Replay-safe: logged once, not on every replay.
            Orchestration.OrchestrationLog.WatchBreached(context.CreateReplaySafeLogger<DeployWatchOrchestrator>(), input.DeployId, outcome.Summary);
            return outcome;
        }
        catch (TaskFailedException e)
        {
            return new BreachOutcome(null, $"acting on the breach failed: {e.FailureDetails.ErrorMessage}");
        }
    }

    /// <summary>"Cannot evaluate" and "already failing before this deploy", each once per run.</summary>
    private static IEnumerable<Task> Warnings(TaskOrchestrationContext context, WatchRequest input, WatchRound sample, WatchDecision decision)
    {
        if (decision.CannotEvaluate.Count > 0)
        {
            var names = string.Join(", ", decision.CannotEvaluate.Select(c => c.Result.Name));
            var detail = string.Join("; ", decision.CannotEvaluate.Select(c => $"{c.Result.Name}: {c.Result.Detail}"));
            var summary = $"cannot evaluate {names} of {sample.Subject}: {detail}; the watcher will not roll back on {(decision.CannotEvaluate.Count == 1 ? "it" : "them")}";
            yield return Send(context, input, new NoticeRequest(input.DeployId, $"cannot-evaluate-{input.DeployId}-{names}", "CannotEvaluate", summary, new Dictionary<string, string> { ["checks"] = names, ["detail"] = detail }));
        }

        foreach (var check in decision.AlreadyFailing ?? [])
        {
            var summary = $"{check.Result.Name} of {sample.Subject} is {check.AlreadyFailing}; not rolled back: {check.Result.Detail}";
            yield return Send(context, input, new NoticeRequest(input.DeployId, $"already-failing-{input.DeployId}-{check.Result.Name}", "AlreadyFailing", summary, new Dictionary<string, string> { ["check"] = check.Result.Name, ["query"] = check.Query, ["threshold"] = check.Threshold }));
        }
    }

    private static Task Send(TaskOrchestrationContext context, WatchRequest input, NoticeRequest notice) =>
        context.CallActivityAsync<bool>(nameof(SendNoticeActivity), notice, NoticeRetry.Options(input.NoticeFirstRetry));

    /// <summary>Waits for notices still retrying; one that failed every attempt is recorded undelivered on the deploy and never ends the watcher.</summary>
    private static async Task SettleAsync(List<Task> notices)
    {
        foreach (var notice in notices)
        {
            try
            {
                await notice;
            }
            catch (TaskFailedException)
            {
                // recorded by the activity
            }
        }
    }
}
