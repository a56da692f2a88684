using System.Text;
using System.Text.Json.Nodes;
using RollbackFunctions.Core.Notifications;

namespace RollbackFunctions.Infrastructure.Notifications;

/// <summary>A chat incoming webhook: one message per page, the evidence as text.</summary>
public abstract class ChatChannel(IHttpClientFactory httpClients) : INotificationChannel
{
    public abstract string Name { get; }

    public bool IsConfigured(NotificationRoute route) => !string.IsNullOrEmpty(UrlOf(route));

    public Task<ChannelOutcome> PageAsync(Page page, NotificationRoute route, string statusUrl, CancellationToken cancellationToken) =>
        PostAsync(UrlOf(route)!, Message($"[{page.Kind}] {page.Deploy.Service} {page.Deploy.Environment}", Evidence.AsText(page, statusUrl), statusUrl), cancellationToken);

    public Task<ChannelOutcome> WarnAsync(Notice notice, NotificationRoute route, CancellationToken cancellationToken) =>
        PostAsync(UrlOf(route)!, Message($"[{notice.Kind}] {notice.Service} {notice.Environment}", notice.Summary, notice.Link), cancellationToken);

    /// <summary>Chat rooms hear about rollbacks through pages; a message per deploy would be noise.</summary>
    public Task<ChannelOutcome?> AnnounceAsync(ChangeNotice notice, NotificationRoute route, CancellationToken cancellationToken) =>
        Task.FromResult<ChannelOutcome?>(null);

    protected abstract string? UrlOf(NotificationRoute route);

    protected abstract JsonObject Message(string title, string text, string? link);

    private async Task<ChannelOutcome> PostAsync(string url, JsonObject body, CancellationToken cancellationToken)
    {
        using var content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        using var response = await httpClients.CreateClient(Name).PostAsync(url, content, cancellationToken);
        return new ChannelOutcome(Name, response.IsSuccessStatusCode, $"webhook answered {(int)response.StatusCode}");
    }
}

/// <summary>Slack incoming webhook.</summary>
public sealed class SlackChannel(IHttpClientFactory httpClients) : ChatChannel(httpClients)
{
    /// <summary>Name of its HTTP client, and of the channel in audit rows.</summary>
    public const string HttpClientName = "slack";

    public override string Name => HttpClientName;

    protected override string? UrlOf(NotificationRoute route) => route.SlackWebhookUrl;

    protected override JsonObject Message(string title, string text, string? link) => new() { ["text"] = $"*{title}*\n{text}" };
}

/// <summary>Microsoft Teams incoming webhook (MessageCard).</summary>
public sealed class TeamsChannel(IHttpClientFactory httpClients) : ChatChannel(httpClients)
{
    /// <summary>Name of its HTTP client, and of the channel in audit rows.</summary>
    public const string HttpClientName = "teams";

    public override string Name => HttpClientName;

    protected override string? UrlOf(NotificationRoute route) => route.TeamsWebhookUrl;

    protected override JsonObject Message(string title, string text, string? link)
    {
        var card = new JsonObject
        {
            ["@type"] = "MessageCard",
            ["@context"] = "https://schema.org/extensions",
            ["summary"] = title,
            ["title"] = title,
            ["text"] = text.Replace("\n", "<br>", StringComparison.Ordinal),
        };
        if (link is not null)
        {
            card["potentialAction"] = new JsonArray(new JsonObject
            {
                ["@type"] = "OpenUri",
                ["name"] = "Rollback status",
                ["targets"] = new JsonArray(new JsonObject { ["os"] = "default", ["uri"] = link }),
            });
        }

        return card;
    }
}
