using Microsoft.AspNetCore.Http;
using RollbackFunctions.Api.Access;

namespace RollbackFunctions.Api.Http;

/// <summary>Reading the optional body of an operator action, and who the operator is.</summary>
public static class OperatorRequest
{
    /// <summary>Header naming the operator when the body does not.</summary>
    public const string ActorHeader = "X-Rollback-Operator";

    /// <summary>
    /// The start of every operator action: the caller must hold the operator role, then the optional
    /// body is bound. <c>Refusal</c> is the 401/403/4xx to send instead.
    /// </summary>
    public static async Task<(Caller? Caller, T? Body, IResult? Refusal)> ReadAsync<T>(HttpRequest request, ApiAccess access, CancellationToken cancellationToken)
        where T : class, new()
    {
        var (caller, refusal) = access.Authorize(request, ApiRole.Operator);
        if (refusal is not null)
        {
            return (null, null, refusal);
        }

        var (body, problem) = await ReadAsync<T>(request, cancellationToken);
        return (caller, body, problem);
    }

    /// <summary>Binds an optional JSON body; an empty body is a default instance.</summary>
    public static async Task<(T? Value, IResult? Problem)> ReadAsync<T>(HttpRequest request, CancellationToken cancellationToken)
        where T : class, new()
    {
        var (document, problem) = await JsonBody.ReadAsync(request, cancellationToken, optional: true);
        using var _ = document;
        return problem is not null ? (null, problem)
            : document is null ? (new T(), null)
            : JsonBody.Bind<T>(document);
    }

    /// <summary>
    /// The operator as audited: the key's name, with the display name from the body's actor or the
    /// header beside it; without keys, the display name or "operator".
    /// </summary>
    public static string ActorOf(HttpRequest request, Caller caller, string? actor) =>
        caller.ActorFor(!string.IsNullOrWhiteSpace(actor) ? actor : request.Headers[ActorHeader].ToString(), "operator");
}
