using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using RollbackFunctions.Api.Http;

namespace RollbackFunctions.Api;

/// <summary>The Slack app's Request URL; delegates to <see cref="SlackInteractionEndpoint"/>.</summary>
public sealed class SlackFunctions(SlackInteractionEndpoint slack)
{
    // Anonymous to the host: Slack cannot send a key, and its signature is checked by the handler.
    [Function("SlackInteraction")]
    public Task<IResult> Interaction(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "slack/interactions")] HttpRequest request,
        [DurableClient] DurableTaskClient durable,
        CancellationToken cancellationToken) =>
        slack.HandleAsync(request, durable, cancellationToken);
}
