using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RollbackFunctions.Core.Notifications;
using RollbackFunctions.Core.Ports;
using RollbackFunctions.Infrastructure.Audit;

namespace RollbackFunctions.Infrastructure.Notifications;

/// <summary>
/// Routes pages to the channels configured for the deploy's service and environment and sends
/// them in parallel. A channel that fails (after its own retries with backoff) is reported as an
/// outcome; it never throws into the rollback.
/// </summary>
public sealed class Pager(
    IEnumerable<INotificationChannel> channels,
    IOptionsMonitor<NotificationOptions> options,
    SecretRedactor redactor,
    ILogger<Pager> logger) : IPager
{
    public async Task<IReadOnlyList<ChannelOutcome>> PageAsync(Page page, CancellationToken cancellationToken)
    {
        var links = PageLinks.For(options.CurrentValue.PublicBaseUrl, page);
        var outcomes = await SendAsync(page.Deploy.Service, page.Deploy.Environment, async (channel, route) => await channel.PageAsync(page, route, links, cancellationToken));
        if (page.Kind != PageKind.RollbackStarted)
        {
            return outcomes;
        }

        // A rollback is a change too: PagerDuty lists it beside the deploy under "related changes".
        var change = new ChangeNotice(
            page.Deploy.Service,
            page.Deploy.Environment,
            $"rollback {page.Rollback.RollbackId} of {page.Deploy.Service} {page.Deploy.Version} started",
            page.Rollback.ClaimedAt,
            new Dictionary<string, string> { ["rollbackId"] = page.Rollback.RollbackId, ["deployId"] = page.Deploy.DeployId, ["trigger"] = page.Rollback.Trigger.Reason },
            links.Status);
        return [.. outcomes, .. await AnnounceAsync(change, cancellationToken)];
    }

    public Task<IReadOnlyList<ChannelOutcome>> WarnAsync(Notice notice, CancellationToken cancellationToken) =>
        SendAsync(notice.Service, notice.Environment, async (channel, route) => await channel.WarnAsync(notice, route, cancellationToken));

    public Task<IReadOnlyList<ChannelOutcome>> AnnounceAsync(ChangeNotice notice, CancellationToken cancellationToken) =>
        SendAsync(notice.Service, notice.Environment, (channel, route) => channel.AnnounceAsync(notice, route, cancellationToken));

    /// <summary>The most specific route for a service and environment, else the default.</summary>
    public NotificationRoute RouteFor(string service, string environment) =>
        options.CurrentValue.Routes
            .Select(route => (route, score: route.Specificity(service, environment)))
            .Where(r => r.score >= 0)
            .OrderByDescending(r => r.score)
            .Select(r => r.route)
            .FirstOrDefault() ?? options.CurrentValue.Default;

    private async Task<IReadOnlyList<ChannelOutcome>> SendAsync(string service, string environment, Func<INotificationChannel, NotificationRoute, Task<ChannelOutcome?>> send)
    {
        var route = RouteFor(service, environment);
        var configured = channels.Where(c => c.IsConfigured(route)).ToList();
        if (configured.Count == 0)
        {
            return [new ChannelOutcome(Core.Orchestration.SendPageActivity.NoChannel, false, $"no notification channel is configured for {service} in {environment}")];
        }

        var outcomes = await Task.WhenAll(configured.Select(async channel =>
        {
            try
            {
                return await send(channel, route);
            }
            catch (Exception e)
            {
                // Whatever a channel throws (down, misconfigured, timed out) is its outcome: a page never fails the rollback.
                var detail = redactor.Redact($"{e.GetType().Name}: {e.Message}");
                InfrastructureLog.ChannelFailed(logger, channel.Name, detail);
                return new ChannelOutcome(channel.Name, false, detail);
            }
        }));
        return outcomes.OfType<ChannelOutcome>().ToList();
    }
}
