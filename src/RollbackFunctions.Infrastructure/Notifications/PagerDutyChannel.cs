using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using RollbackFunctions.Core.Notifications;

namespace RollbackFunctions.Infrastructure.Notifications;

/// <summary>
/// PagerDuty Events API v2. The dedup key is the rollback id: the first page opens the incident,
/// later ones (approval needed, stuck, failed) append to it, success resolves it. Deploys and
/// rollbacks are also sent as Change Events so "related changes" shows both.
/// </summary>
public sealed class PagerDutyChannel(IHttpClientFactory httpClients, IOptionsMonitor<NotificationOptions> options) : INotificationChannel
{
    public const string HttpClientName = "pagerduty";

    /// <summary>Events v2 limit of <c>payload.summary</c>.</summary>
    public const int MaxSummary = 1024;

    /// <summary>Events v2 limit of <c>dedup_key</c>.</summary>
    public const int MaxDedupKey = 255;

    public string Name => "pagerduty";

    public bool IsConfigured(NotificationRoute route) => !string.IsNullOrEmpty(route.PagerDutyRoutingKey);

    public Task<ChannelOutcome> PageAsync(Page page, NotificationRoute route, PageLinks links, CancellationToken cancellationToken) =>
        PostAsync("/v2/enqueue", EventFor(page, route.PagerDutyRoutingKey!, links.Status, links.OpsPage), cancellationToken);

    /// <summary>A warning-severity trigger, deduplicated on the notice's key.</summary>
    public Task<ChannelOutcome> WarnAsync(Notice notice, NotificationRoute route, CancellationToken cancellationToken)
    {
        var warning = new JsonObject
        {
            ["routing_key"] = route.PagerDutyRoutingKey,
            ["event_action"] = "trigger",
            ["dedup_key"] = Truncate(notice.Key, MaxDedupKey),
            ["client"] = "RollbackFunctions",
            ["payload"] = new JsonObject
            {
                ["summary"] = Truncate(notice.Summary, MaxSummary),
                ["source"] = $"{notice.Service}/{notice.Environment}",
                ["severity"] = "warning",
                ["timestamp"] = DateTimeOffset.UtcNow.ToString("O"),
                ["component"] = notice.Service,
                ["group"] = notice.Environment,
                ["class"] = notice.Kind,
                ["custom_details"] = new JsonObject(notice.Details.Select(d => KeyValuePair.Create(d.Key, (JsonNode?)JsonValue.Create(d.Value)))),
            },
        };
        if (notice.Link is not null)
        {
            warning["links"] = new JsonArray(new JsonObject { ["href"] = notice.Link, ["text"] = "Deploy" });
        }

        return PostAsync("/v2/enqueue", warning, cancellationToken);
    }

    public async Task<ChannelOutcome?> AnnounceAsync(ChangeNotice notice, NotificationRoute route, CancellationToken cancellationToken)
    {
        var change = new JsonObject
        {
            ["routing_key"] = route.PagerDutyRoutingKey,
            ["payload"] = new JsonObject
            {
                ["summary"] = Truncate(notice.Summary, MaxSummary),
                ["timestamp"] = notice.At.ToString("O"),
                ["source"] = $"{notice.Service}/{notice.Environment}",
                ["custom_details"] = new JsonObject(notice.Details.Select(d => KeyValuePair.Create(d.Key, (JsonNode?)JsonValue.Create(d.Value)))),
            },
        };
        if (notice.Link is not null)
        {
            change["links"] = new JsonArray(new JsonObject { ["href"] = notice.Link, ["text"] = "Status" });
        }

        return await PostAsync("/v2/change/enqueue", change, cancellationToken);
    }

    /// <summary>
    /// The Events v2 body for a page: trigger, or resolve when the rollback succeeded. The ops page
    /// link comes first when given: it is where the responder approves or aborts.
    /// </summary>
    public static JsonObject EventFor(Page page, string routingKey, string statusUrl, string? opsPageUrl = null)
    {
        var dedupKey = Truncate(page.Rollback.RollbackId, MaxDedupKey);
        if (page.Kind == PageKind.RollbackSucceeded)
        {
            return new JsonObject { ["routing_key"] = routingKey, ["event_action"] = "resolve", ["dedup_key"] = dedupKey };
        }

        var links = new JsonArray();
        if (opsPageUrl is not null)
        {
            links.Add(new JsonObject { ["href"] = opsPageUrl, ["text"] = page.Kind == PageKind.ApprovalNeeded ? "Approve or reject on the ops page" : "Ops page" });
        }

        links.Add(new JsonObject { ["href"] = statusUrl, ["text"] = "Rollback status" });
        foreach (var alert in page.Rollback.Trigger.Alerts.Where(a => Uri.IsWellFormedUriString(a.Link, UriKind.Absolute)).Take(5))
        {
            links.Add(new JsonObject { ["href"] = alert.Link, ["text"] = $"Alert {alert.Name}" });
        }

        return new JsonObject
        {
            ["routing_key"] = routingKey,
            ["event_action"] = "trigger",
            ["dedup_key"] = dedupKey,
            ["client"] = "RollbackFunctions",
            ["client_url"] = statusUrl,
            ["links"] = links,
            ["payload"] = new JsonObject
            {
                ["summary"] = Truncate(page.Summary, MaxSummary),
                ["source"] = $"{page.Deploy.Service}/{page.Deploy.Environment}",
                ["severity"] = page.Kind == PageKind.ApprovalNeeded ? "warning" : "critical",
                ["timestamp"] = DateTimeOffset.UtcNow.ToString("O"),
                ["component"] = page.Deploy.Service,
                ["group"] = page.Deploy.Environment,
                ["class"] = page.Kind.ToString(),
                ["custom_details"] = Evidence.Of(page, statusUrl),
            },
        };
    }

    private async Task<ChannelOutcome> PostAsync(string path, JsonObject body, CancellationToken cancellationToken)
    {
        var url = options.CurrentValue.PagerDutyEventsUrl.TrimEnd('/') + path;
        using var content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        using var response = await httpClients.CreateClient(HttpClientName).PostAsync(url, content, cancellationToken);
        var status = (int)response.StatusCode;
        return response.IsSuccessStatusCode
            ? new ChannelOutcome(Name, true, $"{body["event_action"] ?? "change"} accepted ({status})")
            : new ChannelOutcome(Name, false, $"PagerDuty answered {status}");
    }

    private static string Truncate(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";
}
