using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RollbackFunctions.Api.Access;
using RollbackFunctions.Api.Rollbacks;
using RollbackFunctions.Core.Audit;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Ports;
using RollbackFunctions.Infrastructure.Notifications;
using RollbackFunctions.Infrastructure.Notifications.Slack;

namespace RollbackFunctions.Api.Http;

/// <summary>
/// <c>POST /api/slack/interactions</c>: the Slack app's Request URL, where a click on Approve or
/// Reject in an approval message arrives. It carries no API key: Slack's signature is the
/// authentication (<see cref="SlackSignature"/>), and without <c>Rollback:Slack:SigningSecret</c> the
/// route answers 404. A signed click from a user in <c>Rollback:Slack:Operators</c> decides through
/// <see cref="ApprovalDecisions"/>, the code the operator route uses; anyone else is refused, told
/// so privately and audited. Slack wants an answer within 3 seconds: the work is given
/// <see cref="AckWithin"/>, the answer goes out then, and the outcome follows on <c>response_url</c>.
/// </summary>
public sealed partial class SlackInteractionEndpoint(
    IOptionsMonitor<SlackOptions> slack,
    IOptionsMonitor<NotificationOptions> notifications,
    ApprovalDecisions decisions,
    SlackResponder responder,
    IAuditLog audit,
    TimeProvider clock,
    ILogger<SlackInteractionEndpoint> logger)
{
    /// <summary>Largest interaction accepted: Slack sends the whole message back with the click.</summary>
    public const int MaxBytes = 256 * 1024;

    /// <summary>How long the request waits for the work before answering Slack (which gives up after 3 s).</summary>
    public static readonly TimeSpan AckWithin = TimeSpan.FromSeconds(2);

    /// <summary>How long the work may take in all, answer to <c>response_url</c> included, once Slack has its answer.</summary>
    private static readonly TimeSpan WorkLimit = TimeSpan.FromSeconds(30);

    public async Task<IResult> HandleAsync(HttpRequest request, DurableTaskClient durable, CancellationToken cancellationToken)
    {
        var options = slack.CurrentValue;
        if (!options.Enabled)
        {
            return Problems.NotFound("Slack interactions are off: Rollback:Slack:SigningSecret is not set");
        }

        var (body, tooLarge) = await JsonBody.ReadBytesAsync(request, MaxBytes, cancellationToken);
        if (tooLarge is not null)
        {
            return tooLarge;
        }

        // Nothing is read from the body before the signature holds: an unsigned request learns nothing and does nothing.
        if (!SlackSignature.IsValid(options.SigningSecret!, request.Headers[SlackSignature.TimestampHeader], request.Headers[SlackSignature.SignatureHeader], body, clock.GetUtcNow()))
        {
            ApiLog.SlackSignatureRefused(logger);
            return Problems.NotSignedBySlack();
        }

        if (Parse(request.ContentType, body) is not { } interaction)
        {
            return Problems.BadRequest("expected Slack's block_actions interaction: a form field 'payload' holding JSON with user.id, response_url and actions");
        }

        if (!options.AllowsResponseUrl(interaction.ResponseUrl))
        {
            return Problems.BadRequest($"response_url must be under {options.ResponseUrlBase}");
        }

        if (SlackApprovalButtons.Read(interaction.ActionId, interaction.Value) is not { } click)
        {
            return Results.Ok(); // the ops page link, or an action that is not ours: acknowledged, nothing to do
        }

        // Not the request's token: the work goes on after Slack has its answer.
        var work = ActAsync(interaction, click, options.OperatorIds.Contains(interaction.UserId), durable);
        await Task.WhenAny(work, Task.Delay(AckWithin, clock, cancellationToken));
        return Results.Ok();
    }

    private async Task ActAsync(SlackInteraction interaction, ButtonClick click, bool isOperator, DurableTaskClient durable)
    {
        using var limit = new CancellationTokenSource(WorkLimit, clock);
        var actor = new Caller($"slack:{interaction.UserId}").ActorFor(interaction.UserName, "slack");
        var verb = click.Approve ? "approve" : "reject";
        try
        {
            if (!isOperator)
            {
                await AuditRefusalAsync(click, actor, verb, limit.Token);
                await responder.TellUserAsync(interaction.ResponseUrl, $"Not done: you are not allowed to {verb} rollbacks from Slack (your user id {interaction.UserId} is not in Rollback:Slack:Operators).", limit.Token);
                return;
            }

            var outcome = await decisions.DecideAsync(durable, click.RollbackId, click.StepId, click.Approve, actor, $"{verb}d in Slack", click.PlanDigest, limit.Token);
            if (outcome.Reply is { } reply)
            {
                await responder.ReplaceAsync(interaction.ResponseUrl, $"Step `{reply.StepId}` of rollback `{reply.RollbackId}` {reply.Decision} by {reply.Actor}. <{OpsPage(reply.RollbackId)}|Follow it on the ops page>", limit.Token);
            }
            else
            {
                await responder.TellUserAsync(interaction.ResponseUrl, $"Not done: {outcome.Detail}", limit.Token);
            }
        }
        catch (Exception e)
        {
            // Slack has had its answer; the user hears of the failure and may click again.
            ApiLog.SlackInteractionFailed(logger, e, click.RollbackId, click.StepId);
            await TryTellAsync(interaction.ResponseUrl, $"Not done: the {verb} failed ({e.GetType().Name}); try again or use the ops page: {OpsPage(click.RollbackId)}");
        }
    }

    /// <summary>A refused click is audited on the rollback it names, when there is one: who tried what.</summary>
    private async Task AuditRefusalAsync(ButtonClick click, string actor, string verb, CancellationToken cancellationToken)
    {
        ApiLog.SlackUserRefused(logger, actor, click.RollbackId, click.StepId);
        if (Identifiers.IsValidRollbackId(click.RollbackId))
        {
            await audit.AppendAsync(new AuditEntry(click.RollbackId, actor, AuditActions.ApprovalRefused, new { click.StepId, verb }, "refused", $"{click.StepId}: {verb} from Slack by a user not in Rollback:Slack:Operators"), cancellationToken);
        }
    }

    private async Task TryTellAsync(string responseUrl, string text)
    {
        try
        {
            await responder.TellUserAsync(responseUrl, text, CancellationToken.None);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
        {
            // Slack is unreachable too: the log has the failure.
        }
    }

    private string OpsPage(string rollbackId) => $"{notifications.CurrentValue.PublicBaseUrl.TrimEnd('/')}/api/ui#rollback={Uri.EscapeDataString(rollbackId)}";

    /// <summary>The fields of a <c>block_actions</c> payload this route uses, or null when it is not one.</summary>
    private static SlackInteraction? Parse(string? contentType, byte[] body)
    {
        if (contentType is null || !contentType.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var form = QueryHelpers.ParseQuery(Encoding.UTF8.GetString(body));
        if (!form.TryGetValue("payload", out var payload) || payload.Count != 1)
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(payload.ToString(), new JsonDocumentOptions { MaxDepth = 64 });
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || Text(root, "type") != "block_actions"
                || !root.TryGetProperty("user", out var user) || user.ValueKind != JsonValueKind.Object
                || Text(user, "id") is not { } userId || !SlackUserId().IsMatch(userId)
                || Text(root, "response_url") is not { } responseUrl
                || !root.TryGetProperty("actions", out var actions) || actions.ValueKind != JsonValueKind.Array || actions.GetArrayLength() == 0)
            {
                return null;
            }

            var action = actions[0];
            return new SlackInteraction(userId, Text(user, "username") ?? Text(user, "name"), responseUrl, Text(action, "action_id"), Text(action, "value"));
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string? Text(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    [GeneratedRegex("^[A-Z0-9]{2,32}$")]
    private static partial Regex SlackUserId();

    private sealed record SlackInteraction(string UserId, string? UserName, string ResponseUrl, string? ActionId, string? Value);
}

/// <summary>What Slack posts, form-encoded: <c>payload</c>, the interaction as JSON.</summary>
public sealed record SlackInteractionForm(string Payload);
