using Microsoft.DurableTask;
using RollbackFunctions.Core.Orchestration;
using RollbackFunctions.Core.Ports;

namespace RollbackFunctions.Core.Notifications;

/// <summary>
/// A warning to send about a deploy; <see cref="Key"/> deduplicates it with the pager, and with
/// <see cref="Occurrence"/> (a refusal's window, say) on the deploy: one record, one delivery each.
/// </summary>
public sealed record NoticeRequest(string DeployId, string Key, string Kind, string Summary, IReadOnlyDictionary<string, string> Details, string? Occurrence = null)
{
    /// <summary>What the deploy's record of it is keyed by.</summary>
    public string RecordKey => Occurrence is null ? Key : $"{Key}@{Occurrence}";
}

/// <summary>
/// A warning sent about a deploy, as the deploy records it: whether it reached on-call
/// (<see cref="Delivered"/>: at least one channel took it, or none is configured and
/// <see cref="Detail"/> says so), after how many <see cref="Attempts"/> (a failed one is retried by
/// the Durable retry policy).
/// </summary>
public sealed record NoticeDelivery(string Key, string Kind, DateTimeOffset At, string Summary, bool Delivered, string Detail, int Attempts);

/// <summary>
/// Sends a warning (policy refusal, "would roll back", "cannot evaluate", "already failing") at
/// warning severity and records on the deploy whether it was delivered. Like the rollback's pages
/// (<see cref="SendPageActivity"/>) it throws while no configured channel took it, so its caller's
/// Durable retry policy sends it again: a PagerDuty blip does not leave on-call uninformed.
/// </summary>
public sealed class SendNoticeActivity(IDeployStore deploys, IPager pager, TimeProvider clock) : TaskActivity<NoticeRequest, bool>
{
    /// <summary>Notices a deploy keeps: the newest.</summary>
    private const int Kept = 20;

    /// <summary>Attempts of one notice: as many as a rollback's page, so a pager may be down for a minute or two.</summary>
    public const int Attempts = 6;

    public override Task<bool> RunAsync(TaskActivityContext context, NoticeRequest input) => ExecuteAsync(input, CancellationToken.None);

    public async Task<bool> ExecuteAsync(NoticeRequest input, CancellationToken cancellationToken)
    {
        if (await deploys.GetAsync(input.DeployId, cancellationToken) is not { } deploy)
        {
            return false;
        }

        var sent = deploy.Notices.FirstOrDefault(n => n.Key == input.RecordKey);
        if (sent is { Delivered: true })
        {
            return true; // a retry after the page went out but the record did not
        }

        var notice = new Notice(input.Key, input.Kind, deploy.Service, deploy.Environment, input.Summary, input.Details, $"/api/deploys/{deploy.DeployId}");
        var outcomes = await pager.WarnAsync(notice, cancellationToken);
        var delivered = outcomes.Any(o => o.Delivered) || outcomes.All(o => o.Channel == SendPageActivity.NoChannel);
        var detail = string.Join("; ", outcomes.Select(o => $"{o.Channel}: {(o.Delivered ? "delivered" : o.Detail)}"));
        var record = new NoticeDelivery(input.RecordKey, input.Kind, clock.GetUtcNow(), input.Summary, delivered, detail, (sent?.Attempts ?? 0) + 1);
        await deploys.UpdateAsync(deploy.DeployId, d => d with { Notices = [.. d.Notices.Where(n => n.Key != input.RecordKey).TakeLast(Kept - 1), record] }, cancellationToken);
        if (!delivered)
        {
            throw new PageNotDeliveredException($"{input.Kind} notice about {input.DeployId} not delivered: {detail}");
        }

        return true;
    }
}

/// <summary>
/// Sends one notice with the Durable retry policy, for callers outside an orchestration (the policy
/// gate, an alert for an observe-mode deploy): the same durable path the watcher's notices take.
/// </summary>
public sealed class NoticeOrchestrator : TaskOrchestrator<NoticeOrchestration, bool>
{
    public override async Task<bool> RunAsync(TaskOrchestrationContext context, NoticeOrchestration input)
    {
        try
        {
            return await context.CallActivityAsync<bool>(nameof(SendNoticeActivity), input.Notice, NoticeRetry.Options(input.FirstRetry));
        }
        catch (TaskFailedException)
        {
            return false; // every attempt failed: the deploy records it undelivered
        }
    }
}

/// <summary>Input of <see cref="NoticeOrchestrator"/>.</summary>
public sealed record NoticeOrchestration(NoticeRequest Notice, TimeSpan FirstRetry);

/// <summary>The retry policy of every notice: <see cref="SendNoticeActivity.Attempts"/> attempts, doubling from the first wait.</summary>
public static class NoticeRetry
{
    public static readonly TimeSpan DefaultFirstRetry = TimeSpan.FromSeconds(5);

    public static TaskOptions Options(TimeSpan firstRetry) =>
        TaskOptions.FromRetryPolicy(new RetryPolicy(SendNoticeActivity.Attempts, firstRetry > TimeSpan.Zero ? firstRetry : DefaultFirstRetry, 2));
}
