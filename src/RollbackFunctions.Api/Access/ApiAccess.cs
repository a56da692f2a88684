using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using RollbackFunctions.Api.Http;

namespace RollbackFunctions.Api.Access;

/// <summary>
/// The one authorization rule set of both runtimes. A request carries a key as
/// <c>Authorization: Bearer</c> (what Alertmanager's <c>http_config.authorization</c> and Datadog's
/// custom headers send), <c>x-functions-key</c> or <c>?code=</c>; the key's roles decide. Every
/// handler asks here first, so a route cannot be added without saying which role it needs.
/// </summary>
public sealed class ApiAccess
{
    /// <summary>The Functions host's key header, accepted so existing clients keep working.</summary>
    public const string FunctionsKeyHeader = "x-functions-key";

    /// <summary>The Functions host's key query parameter.</summary>
    public const string CodeQuery = "code";

    private readonly IReadOnlyList<Key> keys;
    private readonly bool requireKeys;

    public ApiAccess(IOptions<AccessOptions> options)
    {
        keys = options.Value.Keys
            .Select(k => new Key(k.Key, Digest(k.Value.Secret), k.Value.RoleNames.Select(r => Enum.Parse<ApiRole>(r, ignoreCase: true)).ToHashSet(), k.Value.Scope))
            .ToList();
        requireKeys = options.Value.RequireKeys;
    }

    /// <summary>Whether requests must carry a key (some are configured, or the host demands them).</summary>
    public bool KeysInUse => keys.Count > 0 || requireKeys;

    /// <summary>
    /// What the calling key may do, for <c>GET /api/policy</c>: its name, roles and scope (empty lists
    /// mean all); never its secret, and nothing of any other key. Null without keys (loopback only).
    /// </summary>
    public KeyView? Describe(Caller caller) =>
        keys.FirstOrDefault(k => k.Name == caller.KeyName) is { } key
            ? new KeyView(
                key.Name,
                [.. key.Roles.Select(r => r.ToString().ToLowerInvariant()).Order(StringComparer.Ordinal)],
                [.. key.Scope.Services.Order(StringComparer.Ordinal)],
                [.. key.Scope.Environments.Order(StringComparer.Ordinal)])
            : null;

    /// <summary>
    /// Who is calling, if they may use a route that needs <paramref name="role"/>; otherwise the
    /// 401 or 403 to send, which says nothing about which part of a key was wrong.
    /// </summary>
    public (Caller? Caller, IResult? Refusal) Authorize(HttpRequest request, ApiRole role)
    {
        var (caller, roles, refusal) = Identify(request);
        return refusal is not null ? (null, refusal)
            : !roles.Contains(role) ? (null, Problems.Forbidden())
            : (caller, null);
    }

    /// <summary>
    /// Who is calling and every role their key holds (all of them without keys, loopback only), or
    /// the 401 to send: what the ops page asks to decide which buttons to offer.
    /// </summary>
    public (Caller? Caller, IReadOnlySet<ApiRole> Roles, IResult? Refusal) Identify(HttpRequest request)
    {
        if (!KeysInUse)
        {
            // Keyless only on loopback: the local runtime binds there. A reverse proxy on the same host
            // connects from loopback too, so a request that says it was forwarded is not a local caller.
            return request.HttpContext.Connection.RemoteIpAddress is { } remote && !IPAddress.IsLoopback(remote) || WasForwarded(request)
                ? (null, NoRoles, Problems.Unauthorized())
                : (Caller.Unauthenticated, AllRoles, null);
        }

        var key = Match(PresentedSecret(request));
        return key is null ? (null, NoRoles, Problems.Unauthorized()) : (new Caller(key.Name, key.Scope), key.Roles, null);
    }

    private static readonly IReadOnlySet<ApiRole> NoRoles = new HashSet<ApiRole>();
    private static readonly IReadOnlySet<ApiRole> AllRoles = Enum.GetValues<ApiRole>().ToHashSet();

    /// <summary>Headers a proxy adds (RFC 7239 and the de-facto ones); any of them means the caller is elsewhere.</summary>
    private static readonly string[] ForwardingHeaders = ["Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Real-IP", "X-Original-For", "X-Client-IP"];

    private static bool WasForwarded(HttpRequest request) => ForwardingHeaders.Any(request.Headers.ContainsKey);

    private static string? PresentedSecret(HttpRequest request)
    {
        var authorization = request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return authorization["Bearer ".Length..].Trim();
        }

        var header = request.Headers[FunctionsKeyHeader].ToString();
        if (header.Length > 0)
        {
            return header;
        }

        var code = request.Query[CodeQuery].ToString();
        return code.Length > 0 ? code : null;
    }

    /// <summary>Compares against every key, in constant time per key, so timing reveals neither a secret nor which key nearly matched.</summary>
    private Key? Match(string? presented)
    {
        if (string.IsNullOrEmpty(presented))
        {
            return null;
        }

        var digest = Digest(presented);
        Key? found = null;
        foreach (var key in keys)
        {
            if (CryptographicOperations.FixedTimeEquals(digest, key.Digest))
            {
                found = key;
            }
        }

        return found;
    }

    // Digests have one length, so the comparison's time does not depend on the secret's.
    private static byte[] Digest(string secret) => SHA256.HashData(Encoding.UTF8.GetBytes(secret));

    private sealed record Key(string Name, byte[] Digest, HashSet<ApiRole> Roles, KeyScope Scope);
}
