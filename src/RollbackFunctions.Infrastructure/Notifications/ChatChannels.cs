using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Notifications;
using RollbackFunctions.Infrastructure.Notifications.Slack;

namespace RollbackFunctions.Infrastructure.Notifications;

/// <summary>A chat incoming webhook: one message per page, the evidence as text, a link to the ops page.</summary>
public abstract class ChatChannel(IHttpClientFactory httpClients) : INotificationChannel
{
    public abstract string Name { get; }

    public bool IsConfigured(NotificationRoute route) => !string.IsNullOrEmpty(UrlOf(route));

    public Task<ChannelOutcome> PageAsync(Page page, NotificationRoute route, PageLinks links, CancellationToken cancellationToken) =>
        PostAsync(UrlOf(route)!, PageMessage(page, links), cancellationToken);

    public Task<ChannelOutcome> WarnAsync(Notice notice, NotificationRoute route, CancellationToken cancellationToken) =>
        PostAsync(UrlOf(route)!, Message($"[{notice.Kind}] {notice.Service} {notice.Environment}", notice.Summary, notice.Link, null), cancellationToken);

    /// <summary>Chat rooms hear about rollbacks through pages; a message per deploy would be noise.</summary>
    public Task<ChannelOutcome?> AnnounceAsync(ChangeNotice notice, NotificationRoute route, CancellationToken cancellationToken) =>
        Task.FromResult<ChannelOutcome?>(null);

    protected abstract string? UrlOf(NotificationRoute route);

    /// <summary>A message with a title, text, the status link and, for pages, the ops page link.</summary>
    protected abstract JsonObject Message(string title, string text, string? link, string? opsPage);

    /// <summary>The message of a page; a channel adds what it can (Slack: buttons on a waiting step).</summary>
    protected virtual JsonObject PageMessage(Page page, PageLinks links) =>
        Message(Title(page), Evidence.AsText(page, links.Status), links.Status, links.OpsPage);

    protected static string Title(Page page) => $"[{page.Kind}] {page.Deploy.Service} {page.Deploy.Environment}";

    private async Task<ChannelOutcome> PostAsync(string url, JsonObject body, CancellationToken cancellationToken)
    {
        using var content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        using var response = await httpClients.CreateClient(Name).PostAsync(url, content, cancellationToken);
        return new ChannelOutcome(Name, response.IsSuccessStatusCode, $"webhook answered {(int)response.StatusCode}");
    }
}

/// <summary>
/// Slack incoming webhook. The text stays for notifications and old clients; Block Kit carries the
/// same text, the ops page link and, when the Slack app's interactions are on
/// (<c>Rollback:Slack:SigningSecret</c>), Approve and Reject on every step waiting for approval.
/// </summary>
public sealed class SlackChannel(IHttpClientFactory httpClients, IOptionsMonitor<SlackOptions> slack) : ChatChannel(httpClients)
{
    /// <summary>Name of its HTTP client, and of the channel in audit rows.</summary>
    public const string HttpClientName = "slack";

    /// <summary>Block Kit's limit on a section's text.</summary>
    private const int MaxSectionText = 3000;

    public override string Name => HttpClientName;

    protected override string? UrlOf(NotificationRoute route) => route.SlackWebhookUrl;

    protected override JsonObject Message(string title, string text, string? link, string? opsPage)
    {
        var body = $"*{Escape(title)}*\n{Escape(text)}";
        var message = new JsonObject { ["text"] = body };
        if (opsPage is not null)
        {
            message["blocks"] = new JsonArray(Section(body), Section($"<{opsPage}|Open the ops page>"));
        }

        return message;
    }

    /// <summary>
    /// Slack's three control characters, escaped as Slack asks: alert labels and executor output
    /// are not ours, and an unescaped <c>&lt;url|text&gt;</c> in them would render as a link beside our buttons.
    /// </summary>
    private static string Escape(string text) =>
        text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);

    protected override JsonObject PageMessage(Page page, PageLinks links)
    {
        var message = base.PageMessage(page, links);
        if (page.Kind != PageKind.ApprovalNeeded || !slack.CurrentValue.Enabled)
        {
            return message;
        }

        // Every step still waiting gets its buttons: two steps may wait at once, and each page shows them all.
        var blocks = message["blocks"]!.AsArray();
        foreach (var step in page.Steps.Where(s => s.Status == StepStatus.AwaitingApproval))
        {
            // The digest the button binds to comes first, before the detail (which is not ours and may be
            // long): cutting to Slack's limit shortens the detail, never drops the digest (SAFETY.md 3).
            var head = $"Step `{Escape(step.StepId)}` ({Escape(step.Kind)}) waits for approval" + (step.PlanDigest is null ? "" : $" of the plan sha256 `{Escape(step.PlanDigest)}`") + ": ";
            var detail = Escape(step.Detail);
            var room = MaxSectionText - head.Length;
            blocks.Add(Section(head + (detail.Length <= room ? detail : detail[..Math.Max(0, room - 1)] + "…")));
            blocks.Add(SlackApprovalButtons.For(step, page.Rollback.RollbackId, links.OpsPage));
        }

        return message;
    }

    private static JsonObject Section(string markdown) => new()
    {
        ["type"] = "section",
        ["text"] = new JsonObject { ["type"] = "mrkdwn", ["text"] = markdown.Length <= MaxSectionText ? markdown : markdown[..(MaxSectionText - 1)] + "…" },
    };
}

/// <summary>Microsoft Teams incoming webhook (MessageCard).</summary>
public sealed class TeamsChannel(IHttpClientFactory httpClients) : ChatChannel(httpClients)
{
    /// <summary>Name of its HTTP client, and of the channel in audit rows.</summary>
    public const string HttpClientName = "teams";

    public override string Name => HttpClientName;

    protected override string? UrlOf(NotificationRoute route) => route.TeamsWebhookUrl;

    protected override JsonObject Message(string title, string text, string? link, string? opsPage)
    {
        var card = new JsonObject
        {
            ["@type"] = "MessageCard",
            ["@context"] = "https://schema.org/extensions",
            ["summary"] = title,
            ["title"] = Escape(title),
            ["text"] = Escape(text).Replace("\n", "<br>", StringComparison.Ordinal),
        };
        var actions = new JsonArray();
        foreach (var (name, uri) in new[] { ("Open the ops page", opsPage), ("Rollback status", link) })
        {
            if (uri is not null)
            {
                actions.Add(new JsonObject
                {
                    ["@type"] = "OpenUri",
                    ["name"] = name,
                    ["targets"] = new JsonArray(new JsonObject { ["os"] = "default", ["uri"] = uri }),
                });
            }
        }

        if (actions.Count > 0)
        {
            card["potentialAction"] = actions;
        }

        return card;
    }

    /// <summary>
    /// A card's text is Markdown with some HTML: alert labels and executor output are not ours, so
    /// HTML is encoded and the brackets of a Markdown link (<c>[approve here](https://…)</c>) become
    /// entities: such text shows as written, never as a link beside our actions.
    /// </summary>
    private static string Escape(string text) =>
        text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal)
            .Replace("[", "&#91;", StringComparison.Ordinal).Replace("]", "&#93;", StringComparison.Ordinal);
}
