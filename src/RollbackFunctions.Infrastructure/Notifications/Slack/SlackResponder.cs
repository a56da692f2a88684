using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;

namespace RollbackFunctions.Infrastructure.Notifications.Slack;

/// <summary>
/// Answers a Slack interaction through its <c>response_url</c>: replaces the message with the outcome,
/// or tells only the clicking user why nothing was done (ephemeral). The URL is checked against
/// <see cref="SlackOptions.ResponseUrlBase"/> before anything is sent, and redirects are not followed,
/// so no request can aim this POST at another host.
/// </summary>
public sealed class SlackResponder(IHttpClientFactory httpClients, IOptionsMonitor<SlackOptions> options)
{
    /// <summary>Replaces the original message (its buttons go with it): the decision is taken.</summary>
    public Task<bool> ReplaceAsync(string responseUrl, string text, CancellationToken cancellationToken) =>
        PostAsync(responseUrl, new JsonObject { ["replace_original"] = true, ["text"] = text }, cancellationToken);

    /// <summary>Tells the clicking user only, leaving the message and its buttons for someone who may.</summary>
    public Task<bool> TellUserAsync(string responseUrl, string text, CancellationToken cancellationToken) =>
        PostAsync(responseUrl, new JsonObject { ["response_type"] = "ephemeral", ["replace_original"] = false, ["text"] = text }, cancellationToken);

    private async Task<bool> PostAsync(string responseUrl, JsonObject body, CancellationToken cancellationToken)
    {
        if (!options.CurrentValue.AllowsResponseUrl(responseUrl))
        {
            return false;
        }

        using var content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        using var response = await httpClients.CreateClient(SlackChannel.HttpClientName).PostAsync(responseUrl, content, cancellationToken);
        return response.IsSuccessStatusCode;
    }
}
