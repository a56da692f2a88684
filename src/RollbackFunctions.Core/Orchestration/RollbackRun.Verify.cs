using Microsoft.DurableTask;
using RollbackFunctions.Core.Rollbacks;
using RollbackFunctions.Core.Verification;

namespace RollbackFunctions.Core.Orchestration;

/// <summary>Verification: sample health on durable timers until enough healthy samples in a row, or the window ends.</summary>
internal sealed partial class RollbackRun
{
    private async Task<(bool Healthy, string Evidence)> VerifyAsync()
    {
        // Only the service's own signals decide (VerificationScope); the evidence names the checks that did.
        var checks = VerificationScope.Deciding(deploy.Conditions);
        var ignored = VerificationScope.IgnoredSummary(deploy.Conditions) is { Length: > 0 } left ? $" (not deciding: {left})" : "";
        if (checks.Count == 0 && input.TriggerAlerts == 0)
        {
            return (true, $"no conditions registered and no alerts to watch: health not verified{ignored}");
        }

        var settings = input.Settings.Verification.With(deploy.Conditions);

        // Without checks the evidence is the triggering alerts resolving: one sample that says so suffices.
        var required = checks.Count > 0 ? settings.RequiredHealthyChecks : 1;
        var what = checks.Count > 0
            ? $"{required} healthy sample(s) in a row of {string.Join(", ", checks.Select(c => c.Name))}, every {settings.Interval}, within {settings.Window}{ignored}"
            : $"the triggering alerts to resolve within {settings.Window}{ignored}";
        await ProgressAsync(RollbackPhase.Verifying, [], $"waiting for {what}");

        var deadline = context.CurrentUtcDateTime + settings.Window;
        var healthyInRow = 0;
        VerificationSample? last = null;

        // Bounded by the window: the history holds at most window / interval samples.
        while (context.CurrentUtcDateTime <= deadline)
        {
            last = await context.CallActivityAsync<VerificationSample>(
                nameof(EvaluateHealthActivity), new HealthRequest(input.RollbackId, checks, settings.NoData), StorageRetry);
            healthyInRow = last.Verdict == Verdict.Healthy ? healthyInRow + 1 : 0;
            if (healthyInRow >= required)
            {
                return (true, $"verified healthy on {(checks.Count > 0 ? string.Join(", ", checks.Select(c => c.Name)) : "the alerts")}{ignored} ({healthyInRow} healthy sample(s) in a row: {last.Summary})");
            }

            var next = context.CurrentUtcDateTime + settings.Interval;
            if (next > deadline)
            {
                break;
            }

            if (!await SleepUntilAsync(next))
            {
                return (false, "aborted");
            }
        }

        return (false, $"no {what}; last sample {last?.Verdict.ToString().ToLowerInvariant()}: {last?.Summary}");
    }

    /// <summary>
    /// Waits on durable timers until <paramref name="fireAt"/>; false when an abort came first. A timer
    /// can fire up to a second early on the Azure Storage provider; it is re-armed for the rest, so the
    /// sampling interval holds (overshooting by at most <see cref="RollbackSettings.ShortestTimer"/>).
    /// </summary>
    private async Task<bool> SleepUntilAsync(DateTime fireAt)
    {
        for (var attempt = 0; attempt < 10 && context.CurrentUtcDateTime < fireAt; attempt++)
        {
            using var cancel = new CancellationTokenSource();
            var timer = TimerAsync(fireAt - context.CurrentUtcDateTime, cancel.Token);
            if (await Task.WhenAny(timer, abortSignal) != timer)
            {
                cancel.Cancel();
                return false;
            }
        }

        return true;
    }

    /// <summary>A durable timer, never shorter than <see cref="RollbackSettings.ShortestTimer"/>.</summary>
    private Task TimerAsync(TimeSpan delay, CancellationToken cancellationToken) =>
        context.CreateTimer(delay > input.Settings.ShortestTimer ? delay : input.Settings.ShortestTimer, cancellationToken);
}
