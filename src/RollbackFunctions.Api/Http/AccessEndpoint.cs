using Microsoft.AspNetCore.Http;
using RollbackFunctions.Api.Access;

namespace RollbackFunctions.Api.Http;

/// <summary>
/// <c>GET /api/access</c>: what the key a request carries may do, for any valid key. The ops page
/// offers its buttons only to a key that holds the operator role (the routes check again).
/// </summary>
public sealed class AccessEndpoint(ApiAccess access)
{
    public IResult Get(HttpRequest request)
    {
        var (caller, roles, refusal) = access.Identify(request);
        if (refusal is not null)
        {
            return refusal;
        }

        return Results.Json(
            new AccessReply(
                caller!.KeyName,
                roles.Select(r => r.ToString().ToLowerInvariant()).Order(StringComparer.Ordinal).ToList(),
                caller.Scope.Services.Order(StringComparer.Ordinal).ToList(),
                caller.Scope.Environments.Order(StringComparer.Ordinal).ToList()),
            ApiJson.Replies);
    }
}

/// <summary>The caller's key (null without keys), its roles, and the services and environments it is limited to (empty: all).</summary>
public sealed record AccessReply(string? Key, IReadOnlyList<string> Roles, IReadOnlyList<string> Services, IReadOnlyList<string> Environments);
