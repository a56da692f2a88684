using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace RollbackFunctions.Testing;

/// <summary>
/// Flag stores at the wire: a generic flag API (<c>GET/PUT /api/flags/{flag}</c>, bearer token
/// required) and the Azure App Configuration key-value API (<c>/kv/{key}?label=</c>), which checks
/// the HMAC-SHA256 signature of every request against <see cref="AppConfigSecret"/> as the service does.
/// </summary>
public sealed class FakeFlagService : IAsyncDisposable
{
    public const string Token = "flag-api-token-0123456789";
    public const string AppConfigId = "fake-id";
    public static readonly string AppConfigSecret = Convert.ToBase64String(Encoding.UTF8.GetBytes("app-configuration-secret-key-32b"));

    private readonly WebApplication app;

    private FakeFlagService(WebApplication app, string baseUrl)
    {
        this.app = app;
        BaseUrl = baseUrl;
    }

    public string BaseUrl { get; }

    public string AppConfigConnectionString => $"Endpoint={BaseUrl};Id={AppConfigId};Secret={AppConfigSecret}";

    /// <summary>Generic flags: name → value (any JSON).</summary>
    public ConcurrentDictionary<string, JsonNode?> Flags { get; } = new();

    /// <summary>App Configuration: (key, label or "\0") → value.</summary>
    public ConcurrentDictionary<(string Key, string Label), string> KeyValues { get; } = new();

    /// <summary>App Configuration: (key, label) → content type, as the service keeps it beside the value.</summary>
    public ConcurrentDictionary<(string Key, string Label), string> ContentTypes { get; } = new();

    /// <summary>App Configuration: (key, label) → tags.</summary>
    public ConcurrentDictionary<(string Key, string Label), JsonObject> Tags { get; } = new();

    /// <summary>Every write: "PUT key", with " If-Match=etag" or " If-None-Match=*" when the request carried one.</summary>
    public ConcurrentQueue<string> Writes { get; } = new();

    /// <summary>The key-value's current ETag: it changes whenever the value, content type or tags change.</summary>
    public string ETagOf(string key, string label) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(
        $"{KeyValues.GetValueOrDefault((key, label))}|{ContentTypes.GetValueOrDefault((key, label))}|{Tags.GetValueOrDefault((key, label))?.ToJsonString()}")))[..16].ToLowerInvariant();

    public static async Task<FakeFlagService> StartAsync()
    {
        FakeFlagService? fake = null;
        var (app, baseUrl) = await LoopbackServer.StartAsync(server =>
        {
            server.MapGet("/api/flags/{flag}", (string flag, HttpRequest request) =>
                !Authorized(request) ? Results.StatusCode(401)
                : fake!.Flags.TryGetValue(flag, out var value) ? Results.Text(new JsonObject { ["key"] = flag, ["value"] = value?.DeepClone() }.ToJsonString(), "application/json")
                : Results.NotFound());
            server.MapPut("/api/flags/{flag}", async (string flag, HttpRequest request) =>
            {
                if (!Authorized(request))
                {
                    return Results.StatusCode(401);
                }

                var body = JsonNode.Parse(await new StreamReader(request.Body).ReadToEndAsync())!;
                fake!.Flags[flag] = body["value"]?.DeepClone();
                fake.Writes.Enqueue($"PUT {flag}");
                return Results.Text(body.ToJsonString(), "application/json");
            });
            server.MapMethods("/kv/{key}", ["GET", "PUT"], async (string key, HttpRequest request) =>
            {
                using var reader = new StreamReader(request.Body);
                var body = await reader.ReadToEndAsync();
                if (!SignedCorrectly(request, body))
                {
                    return Results.Text("""{"type":"https://azconfig.io/errors/invalid-token","title":"Invalid signature","status":401}""", "application/problem+json", statusCode: 401);
                }

                key = Uri.UnescapeDataString(key); // routing leaves %2F escaped; the service reads the key unescaped
                var label = request.Query["label"].ToString();
                if (request.Method == "PUT")
                {
                    // A PUT replaces the whole key-value: a content type or tags left out are gone.
                    var exists = fake!.KeyValues.ContainsKey((key, label));
                    var ifMatch = request.Headers.IfMatch.ToString();
                    var ifNoneMatch = request.Headers.IfNoneMatch.ToString();
                    if ((ifMatch.Length > 0 && (!exists || ifMatch.Trim('"') != fake.ETagOf(key, label))) || (ifNoneMatch == "*" && exists))
                    {
                        return Results.Text("""{"type":"https://azconfig.io/errors/precondition-failed","title":"Precondition Failed","status":412}""", "application/problem+json", statusCode: 412);
                    }

                    var put = JsonNode.Parse(body)!;
                    fake.KeyValues[(key, label)] = (string)put["value"]!;
                    SetOrRemove(fake.ContentTypes, (key, label), (string?)put["content_type"]);
                    SetOrRemove(fake.Tags, (key, label), put["tags"]?.DeepClone() as JsonObject);
                    fake.Writes.Enqueue($"PUT {key}{(ifMatch.Length > 0 ? $" If-Match={ifMatch}" : "")}{(ifNoneMatch.Length > 0 ? $" If-None-Match={ifNoneMatch}" : "")}");
                }

                if (!fake!.KeyValues.TryGetValue((key, label), out var value))
                {
                    return Results.NotFound();
                }

                var etag = fake.ETagOf(key, label);
                request.HttpContext.Response.Headers.ETag = $"\"{etag}\"";
                return Results.Text(new JsonObject
                {
                    ["key"] = key,
                    ["label"] = label == "\0" ? null : label,
                    ["value"] = value,
                    ["content_type"] = fake.ContentTypes.GetValueOrDefault((key, label)),
                    ["tags"] = fake.Tags.GetValueOrDefault((key, label))?.DeepClone() ?? new JsonObject(),
                    ["etag"] = etag,
                }.ToJsonString(), "application/vnd.microsoft.appconfig.kv+json");
            });
        });
        fake = new FakeFlagService(app, baseUrl);
        return fake;
    }

    private static void SetOrRemove<T>(ConcurrentDictionary<(string, string), T> store, (string, string) key, T? value)
        where T : class
    {
        if (value is null)
        {
            store.TryRemove(key, out _);
        }
        else
        {
            store[key] = value;
        }
    }

    private static bool Authorized(HttpRequest request) => request.Headers.Authorization.ToString() == $"Bearer {Token}";

    /// <summary>The App Configuration HMAC scheme: the signature over method, path and query, and three headers.</summary>
    private static bool SignedCorrectly(HttpRequest request, string body)
    {
        var authorization = request.Headers.Authorization.ToString();
        var date = request.Headers["x-ms-date"].ToString();
        var hash = request.Headers["x-ms-content-sha256"].ToString();
        if (!DateTimeOffset.TryParse(date, CultureInfo.InvariantCulture, out var at) || (DateTimeOffset.UtcNow - at).Duration() > TimeSpan.FromMinutes(15)
            || hash != Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(body))))
        {
            return false;
        }

        var toSign = $"{request.Method}\n{request.Path}{request.QueryString}\n{date};{request.Host};{hash}";
        var signature = Convert.ToBase64String(HMACSHA256.HashData(Convert.FromBase64String(AppConfigSecret), Encoding.UTF8.GetBytes(toSign)));
        return authorization == $"HMAC-SHA256 Credential={AppConfigId}&SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature={signature}";
    }

    public async ValueTask DisposeAsync() => await app.DisposeAsync();
}
