using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using RollbackFunctions.Core.Notifications;
using RollbackFunctions.Infrastructure.Notifications;

namespace RollbackFunctions.Infrastructure.Tests.Notifications;

/// <summary>The Teams card of a page, as a stand-in for Teams' incoming webhook receives it.</summary>
public sealed class TeamsChannelTests : IAsyncLifetime
{
    private ServiceProvider http = null!;
    private StubServer teams = null!;

    /// <summary>Review: alert labels are not ours; Markdown or HTML in them must not render as a link beside the card's actions.</summary>
    [Fact]
    public async Task Page_AlertTextWithMarkdownOrHtmlLinks_IsShownAsWritten_NoLinkOfItsOwn()
    {
        var page = SlackChannelTests.ApprovalPage("see <a href=\"https://evil.example\">here</a>");
        var channel = new TeamsChannel(http.GetRequiredService<IHttpClientFactory>());

        var outcome = await channel.PageAsync(page, new NotificationRoute { TeamsWebhookUrl = $"{teams.BaseUrl}/webhook" }, PageLinks.For("https://rollback.example", page), default);

        Assert.True(outcome.Delivered, outcome.Detail);
        var text = JsonNode.Parse(Assert.Single(teams.Requests).Body)!["text"]!.GetValue<string>();
        Assert.DoesNotContain("[approve here](", text, StringComparison.Ordinal);
        Assert.Contains("&#91;approve here&#93;(https://evil.example)", text, StringComparison.Ordinal);
        Assert.DoesNotContain("<a href", text, StringComparison.Ordinal);
    }

    public async Task InitializeAsync()
    {
        var services = new ServiceCollection();
        services.AddHttpClient(TeamsChannel.HttpClientName);
        http = services.BuildServiceProvider();
        teams = await StubServer.StartAsync(_ => new StubReply(200, "1"));
    }

    public async Task DisposeAsync()
    {
        await teams.DisposeAsync();
        await http.DisposeAsync();
    }
}
