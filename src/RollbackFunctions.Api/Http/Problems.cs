using Microsoft.AspNetCore.Http;

namespace RollbackFunctions.Api.Http;

/// <summary>RFC 9457 problem replies, the only shape an error takes.</summary>
public static class Problems
{
    public static IResult BadRequest(string detail, IDictionary<string, string[]>? errors = null) =>
        errors is { Count: > 0 }
            ? Results.ValidationProblem(errors, detail, title: "The request is not valid", statusCode: StatusCodes.Status400BadRequest)
            : Problem(StatusCodes.Status400BadRequest, "The request is not valid", detail);

    /// <summary>No key, or one that is not configured; the reply does not say which.</summary>
    public static IResult Unauthorized() =>
        new WithHeader(Problem(StatusCodes.Status401Unauthorized, "Unauthorized", "send a valid API key"), "WWW-Authenticate", "Bearer");

    /// <summary>A Slack interaction without a valid, fresh Slack signature; the reply does not say what was wrong.</summary>
    public static IResult NotSignedBySlack() =>
        Problem(StatusCodes.Status401Unauthorized, "Unauthorized", "the request does not carry a valid, recent Slack signature");

    /// <summary>A valid key without the role this route needs.</summary>
    public static IResult Forbidden() => Problem(StatusCodes.Status403Forbidden, "Forbidden", "this key may not use this route");

    /// <summary>A valid key with the role, but scoped to other services or environments (Rollback:Auth:Keys:&lt;name&gt;:Services, :Environments).</summary>
    public static IResult OutOfScope(string? service, string? environment) =>
        Problem(StatusCodes.Status403Forbidden, "Forbidden", $"this key may not act on service '{service}' in environment '{environment}'");

    /// <summary>422: the request is well formed, and what it asks is refused (an undeclared environment, a target that does not serve it); nothing was stored.</summary>
    public static IResult Unprocessable(string detail, IReadOnlyDictionary<string, string[]> errors) =>
        Results.Problem(detail, statusCode: StatusCodes.Status422UnprocessableEntity, title: "Refused", extensions: new Dictionary<string, object?> { ["errors"] = errors });

    public static IResult NotFound(string detail) => Problem(StatusCodes.Status404NotFound, "Not found", detail);

    public static IResult Conflict(string detail) => Problem(StatusCodes.Status409Conflict, "Conflict", detail);

    /// <summary>
    /// 409 with type <c>quarantined</c>: what is registered was rolled back recently. Names the
    /// rollback and how to release it, so a pipeline can tell this from any other conflict.
    /// </summary>
    public static IResult Quarantined(string detail, string rollbackId) =>
        Results.Problem(detail, statusCode: StatusCodes.Status409Conflict, title: "Quarantined", type: QuarantinedType,
            extensions: new Dictionary<string, object?> { ["rollbackId"] = rollbackId });

    /// <summary>The problem type of <see cref="Quarantined"/>.</summary>
    public const string QuarantinedType = "quarantined";

    /// <summary>
    /// 409 from CI's gate: the deploy may not go on (halted by a rollback, quarantined, readiness not
    /// met). A problem like every 4xx, keeping the gate's own fields beside the problem's.
    /// </summary>
    public static IResult GateClosed(string reason, string? rollbackId)
    {
        var extensions = new Dictionary<string, object?> { ["proceed"] = false, ["reason"] = reason };
        if (rollbackId is not null)
        {
            extensions["rollbackId"] = rollbackId;
        }

        return Results.Problem(reason, statusCode: StatusCodes.Status409Conflict, title: "Gate closed", type: GateClosedType, extensions: extensions);
    }

    /// <summary>The problem type of <see cref="GateClosed"/>.</summary>
    public const string GateClosedType = "gateClosed";

    public static IResult TooLarge(long limit) =>
        Problem(StatusCodes.Status413PayloadTooLarge, "Body too large", $"request bodies are limited to {limit} bytes");

    public static IResult UnsupportedMediaType(string? contentType) =>
        Problem(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type", $"send application/json, not '{contentType ?? "nothing"}'");

    /// <summary>503 with Retry-After: a dependency is down for now, and the caller should retry.</summary>
    public static IResult Unavailable(string detail) =>
        new WithHeader(Problem(StatusCodes.Status503ServiceUnavailable, "Unavailable", detail), "Retry-After", RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>
    /// The targets of a registration could not be read. Transient (network, 5xx, timeouts): 503 with
    /// Retry-After, so CI retries. Otherwise 422: the target answered, and the answer says the step
    /// cannot be reverted as registered (no deployed helm revision, for example).
    /// </summary>
    public static IResult CaptureFailed(IReadOnlyDictionary<string, string[]> problems, bool transient)
    {
        const string detail = "could not read the state the rollback would return to; nothing was stored";
        var extensions = new Dictionary<string, object?> { ["errors"] = problems };
        if (!transient)
        {
            return Results.Problem(detail, statusCode: StatusCodes.Status422UnprocessableEntity, title: "Step targets not readable", extensions: extensions);
        }

        return new WithHeader(
            Results.Problem(detail, statusCode: StatusCodes.Status503ServiceUnavailable, title: "Step targets not reachable", extensions: extensions),
            "Retry-After",
            RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>What a 503 asks the caller to wait before retrying.</summary>
    public const int RetryAfterSeconds = 5;

    private static IResult Problem(int status, string title, string detail) =>
        Results.Problem(detail: detail, statusCode: status, title: title);

    private sealed class WithHeader(IResult inner, string name, string value) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers[name] = value;
            return inner.ExecuteAsync(httpContext);
        }
    }
}
