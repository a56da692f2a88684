using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Executors;
using RollbackFunctions.Core.Ports;

namespace RollbackFunctions.Infrastructure.Executors;

/// <summary>
/// Reverts a step by POSTing <c>{deployId, stepId, version, previousVersion}</c> to the step's
/// <c>params.revertUrl</c>; any 2xx means reverted. The receiver gets an <c>Idempotency-Key</c>
/// header that is the same on every attempt, so a retried call can be recognised. Transient
/// failures (5xx, 429, timeouts, refused connections) are retried by the client's resilience
/// pipeline, then thrown so the Durable retry (<c>revert.maxAttempts</c>) runs the step again; a
/// 4xx is the receiver's answer and fails the revert. A receiver that
/// answers 428 Precondition Required declares the revert destructive: it waits for an operator's
/// approval and is then sent again with <c>X-Rollback-Approved: true</c>.
/// Three states: a receiver owns its target, so it judges. <c>409 Conflict</c> says the target no
/// longer holds what this deploy made (drift: an operator decides; approved, it is sent again with
/// <c>X-Rollback-Drift-Approved: true</c>); a 2xx with <c>{"outcome": "unchanged"}</c> says it already
/// held the state from before the deploy.
/// </summary>
public sealed class WebhookStepExecutor(IHttpClientFactory httpClients, IOptionsMonitor<WebhookExecutorOptions> options) : IStepExecutor
{
    /// <summary>Name of the HttpClient with this executor's resilience pipeline.</summary>
    public const string HttpClientName = "webhook-executor";

    /// <summary>How much of a receiver's reply or error reaches the step's detail, the page and the audit row.</summary>
    private const int MaxDetailLength = 300;

    /// <summary>Sent once an operator approved a revert the receiver called destructive.</summary>
    public const string ApprovedHeader = "X-Rollback-Approved";

    /// <summary>Sent on a rehearsal (to <c>params.rehearseUrl</c>): check, change nothing.</summary>
    public const string RehearsalHeader = "X-Rollback-Rehearsal";

    /// <summary>Sent once an operator approved restoring the state from before the deploy over a drift the receiver reported.</summary>
    public const string DriftApprovedHeader = "X-Rollback-Drift-Approved";

    /// <summary>The receiver's contract: camelCase, nulls left out. Owned here, not borrowed from the API.</summary>
    private static readonly JsonSerializerOptions WireJson = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    public string Kind => "webhook";

    /// <summary>A receiver that calls the revert destructive answers 428, and the step waits for an operator.</summary>
    public string? AsksApprovalWhen(JsonObject parameters) => "the receiver answers 428 (it calls this revert destructive)";

    public string? ValidateParams(JsonObject parameters)
    {
        if (parameters["revertUrl"] is not JsonValue value || !value.TryGetValue<string>(out var url))
        {
            return "webhook steps need params.revertUrl (a string)";
        }

        if (CheckUrl(url, out _) is { } problem)
        {
            return problem;
        }

        return parameters["rehearseUrl"] switch
        {
            null => null,
            JsonValue rehearse when rehearse.TryGetValue<string>(out var rehearseUrl) => CheckUrl(rehearseUrl, out _) ?? SameEndpoint(url, rehearseUrl),
            _ => "params.rehearseUrl must be a string",
        };
    }

    /// <summary>
    /// A rehearsal must never reach the revert endpoint: a receiver built to the revert contract
    /// (any POST reverts) would revert at registration, undoing whatever is live.
    /// </summary>
    private static string? SameEndpoint(string revertUrl, string rehearseUrl) =>
        Uri.TryCreate(revertUrl, UriKind.Absolute, out var revert) && Uri.TryCreate(rehearseUrl, UriKind.Absolute, out var rehearse)
            && Uri.Compare(revert, rehearse, UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) == 0
            ? "params.rehearseUrl must not be the revert URL: a rehearsal changes nothing, the revert endpoint reverts"
            : null;

    /// <summary>
    /// Sends the revert's body with <c>"rehearsal": true</c> to <c>params.rehearseUrl</c>: the
    /// receiver checks what it would do and changes nothing. 2xx: ok; 428: would need approval.
    /// </summary>
    public async Task<StepRehearsal> RehearseAsync(StepRevertRequest request, CancellationToken cancellationToken)
    {
        if (request.Params["rehearseUrl"]?.GetValue<string>() is not { } url)
        {
            return StepRehearsal.NotRehearsable("the step names no params.rehearseUrl");
        }

        if ((CheckUrl(url, out var target) ?? SameEndpoint(request.Params["revertUrl"]?.GetValue<string>() ?? "", url)) is { } problem)
        {
            return StepRehearsal.Fails(problem);
        }

        using var message = new HttpRequestMessage(HttpMethod.Post, target)
        {
            Content = new StringContent(
                JsonSerializer.Serialize(new WebhookRevertBody(request.DeployId, request.StepId, request.Version, request.PreviousVersion) { Rehearsal = true }, WireJson),
                Encoding.UTF8,
                "application/json"),
        };
        // Told apart from a revert in the headers too, and under a key of its own, so a receiver
        // that deduplicates on the key never answers a later real revert with the rehearsal's reply.
        message.Headers.Add(RehearsalHeader, "true");
        message.Headers.Add("Idempotency-Key", $"rehearsal:{request.DeployId}:{request.StepId}");
        try
        {
            using var response = await httpClients.CreateClient(HttpClientName).SendAsync(message, cancellationToken);
            var status = (int)response.StatusCode;
            var body = Truncate(await response.Content.ReadAsStringAsync(cancellationToken), MaxDetailLength);
            return response.IsSuccessStatusCode ? StepRehearsal.Ok($"POST {target.Host} answered {status}")
                : status == StatusCodes.Status428PreconditionRequired ? StepRehearsal.WouldNeedApproval($"the receiver calls this revert destructive: {body}")
                : StepRehearsal.Fails($"POST {target.Host} answered {status}: {body}");
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or Polly.Timeout.TimeoutRejectedException && !cancellationToken.IsCancellationRequested)
        {
            return StepRehearsal.Fails($"POST {target.Host} failed: {e.GetType().Name}: {Truncate(e.Message, MaxDetailLength)}");
        }
    }

    public async Task<StepRevertResult> RevertAsync(StepRevertRequest request, CancellationToken cancellationToken)
    {
        // Checked again here: the allow-list may have shrunk since the deploy was registered.
        var url = request.Params["revertUrl"]?.GetValue<string>() ?? "";
        if (CheckUrl(url, out var target) is { } problem)
        {
            return StepRevertResult.Failed(problem);
        }

        using var message = new HttpRequestMessage(HttpMethod.Post, target)
        {
            // Buffered, so receivers get a Content-Length rather than a chunked body.
            Content = new StringContent(
                JsonSerializer.Serialize(new WebhookRevertBody(request.DeployId, request.StepId, request.Version, request.PreviousVersion), WireJson),
                Encoding.UTF8,
                "application/json"),
        };
        // The approved call is a different request from the refused one: a receiver that
        // deduplicates on the key must not answer it with the cached 428.
        message.Headers.Add("Idempotency-Key", $"{request.RollbackId}:{request.StepId}{(request.Approved ? ":approved" : "")}{(request.OverrideDrift ? ":drift-approved" : "")}");
        if (request.Approved)
        {
            message.Headers.Add(ApprovedHeader, "true");
        }

        if (request.OverrideDrift)
        {
            message.Headers.Add(DriftApprovedHeader, "true");
        }

        try
        {
            using var response = await httpClients.CreateClient(HttpClientName).SendAsync(message, cancellationToken);
            var status = (int)response.StatusCode;
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            if (response.IsSuccessStatusCode)
            {
                return SaysUnchanged(body)
                    ? StepRevertResult.Unchanged($"POST {target.Host} answered {status}: the target already held the state from before the deploy")
                    : StepRevertResult.Reverted($"POST {target.Host} answered {status}");
            }

            if (status == StatusCodes.Status409Conflict && !request.OverrideDrift)
            {
                return StepRevertResult.Drifted($"drift: the receiver says the target no longer holds what this deploy made: {Truncate(body, MaxDetailLength)}");
            }
            if (status == StatusCodes.Status428PreconditionRequired && !request.Approved)
            {
                return StepRevertResult.NeedsApproval($"the receiver calls this revert destructive: {Truncate(body, MaxDetailLength)}");
            }

            var detail = $"POST {target.Host} answered {status}: {Truncate(body, MaxDetailLength)}";
            // The receiver is down or busy (5xx, 429, 408), not refusing: the Durable retry runs the step again.
            return status is >= 500 or 429 or 408 ? throw new StepUnavailableException(detail) : StepRevertResult.Failed(detail);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or Polly.Timeout.TimeoutRejectedException && !cancellationToken.IsCancellationRequested)
        {
            throw new StepUnavailableException($"POST {target.Host} failed: {e.GetType().Name}: {Truncate(e.Message, MaxDetailLength)}", e);
        }
    }

    private string? CheckUrl(string url, out Uri target)
    {
        // Uri drops or escapes some control characters and keeps others; CR LF in a URL is header
        // injection or log forgery waiting for a client that writes it raw. Refused, never repaired.
        if (url.Any(char.IsControl))
        {
            target = null!;
            return "revertUrl must not contain control characters (CR, LF, tab, ...)";
        }

        if (!Uri.TryCreate(url, UriKind.Absolute, out target!) || target.Scheme is not ("http" or "https"))
        {
            return $"revertUrl must be an absolute http(s) URL, not '{Truncate(url, 200)}'";
        }

        if (target.UserInfo.Length > 0)
        {
            // Credentials in a URL end up in logs, pages and audit rows; and user@host hides the real host from readers.
            return "revertUrl must not carry user information (user:password@); configure credentials, not URLs";
        }

        var allowed = options.CurrentValue.AllowedHosts;
        var host = target.Host;
        var hostAndPort = $"{host}:{target.Port}";
        return allowed.Any(a => string.Equals(a, host, StringComparison.OrdinalIgnoreCase) || string.Equals(a, hostAndPort, StringComparison.OrdinalIgnoreCase))
            ? null
            : $"host '{hostAndPort}' is not in Rollback:Executors:Webhook:AllowedHosts";
    }

    private static bool SaysUnchanged(string body)
    {
        try
        {
            return JsonNode.Parse(body) is JsonObject reply && reply["outcome"] is JsonValue outcome && outcome.TryGetValue<string>(out var text) && text == "unchanged";
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static string Truncate(string text, int max) => text.Length <= max ? text : text[..max] + "…";
}

/// <summary>What a revert webhook receives.</summary>
public sealed record WebhookRevertBody(string DeployId, string StepId, string Version, string? PreviousVersion)
{
    /// <summary>True on a rehearsal (sent to <c>rehearseUrl</c>): check, change nothing. Left out of a real revert.</summary>
    public bool? Rehearsal { get; init; }
}
