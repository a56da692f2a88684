using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using RollbackFunctions.Core.Executors;

namespace RollbackFunctions.Infrastructure.Executors.FeatureFlags;

/// <summary>A flag's value as its store reports it; <see cref="Exists"/> false when the store does not know the flag.</summary>
/// <param name="Exists">The store knows the flag.</param>
/// <param name="Value">Its value.</param>
/// <param name="ETag">The store's version of what was read, for a compare-and-set write; null when the store has none.</param>
public sealed record FlagValue(bool Exists, JsonNode? Value, string? ETag = null);

/// <summary>The store answered, and the answer is final (401, 403, 400): retrying will not help.</summary>
public sealed class FlagStoreRefusedException(string message) : Exception(message);

/// <summary>
/// A conditional write lost to a concurrent one (412): the store changed since it was read. Transient:
/// reading again and retrying is right.
/// </summary>
public sealed class FlagPreconditionFailedException(string message) : HttpRequestException(message, null, HttpStatusCode.PreconditionFailed);

/// <summary>Reads and writes one flag in one kind of store.</summary>
public abstract class FlagStore(IHttpClientFactory httpClients)
{
    /// <summary>The HTTP client with the flag stores' resilience pipeline (429, 5xx and timeouts retried).</summary>
    public const string HttpClientName = "feature-flags";

    public abstract Task<FlagValue> ReadAsync(string flag, string? label, CancellationToken cancellationToken);

    /// <summary>
    /// Writes the value; with <paramref name="expectedETag"/> only over that version of the flag (a
    /// store that can compare and set throws <see cref="TargetChangedException"/> when it changed).
    /// </summary>
    public abstract Task WriteAsync(string flag, string? label, JsonNode? value, string? expectedETag, CancellationToken cancellationToken);

    /// <summary>Sends; a 404 is null, another non-success answer throws (refused for 4xx, HttpRequestException for the rest).</summary>
    protected async Task<string?> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using var response = await httpClients.CreateClient(HttpClientName).SendAsync(request, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        if (response.IsSuccessStatusCode)
        {
            return body;
        }

        var detail = $"{request.Method} {request.RequestUri!.Host} answered {(int)response.StatusCode}: {(body.Length <= 200 ? body : body[..200] + "…")}";
        if (response.StatusCode == HttpStatusCode.PreconditionFailed)
        {
            throw new FlagPreconditionFailedException(detail);
        }

        throw (int)response.StatusCode is >= 400 and < 500 and not 408 and not 429
            ? new FlagStoreRefusedException(detail)
            : new HttpRequestException(detail, null, response.StatusCode);
    }
}

/// <summary>A flag service over HTTP, described by configured request templates.</summary>
public sealed class HttpFlagStore(IHttpClientFactory httpClients, FlagProviderOptions provider) : FlagStore(httpClients)
{
    public override async Task<FlagValue> ReadAsync(string flag, string? label, CancellationToken cancellationToken)
    {
        using var request = Request(HttpMethod.Get, provider.GetPath, flag);
        if (await SendAsync(request, cancellationToken) is not { } body)
        {
            return new FlagValue(false, null);
        }

        var reply = JsonNode.Parse(body);
        return new FlagValue(true, Pointer(reply, provider.ValuePointer)?.DeepClone());
    }

    /// <summary>A configured request template has no compare-and-set: <paramref name="expectedETag"/> cannot be sent (the executor's read just before is all there is).</summary>
    public override async Task WriteAsync(string flag, string? label, JsonNode? value, string? expectedETag, CancellationToken cancellationToken)
    {
        using var request = Request(new HttpMethod(provider.SetMethod), provider.SetPath, flag);
        var body = provider.SetBody.Replace("\"{value}\"", value?.ToJsonString() ?? "null", StringComparison.Ordinal);
        request.Content = new StringContent(body, Encoding.UTF8);
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(provider.SetContentType);
        if (await SendAsync(request, cancellationToken) is null)
        {
            throw new FlagStoreRefusedException($"{provider.SetMethod} {request.RequestUri!.Host} answered 404: the flag disappeared");
        }
    }

    private HttpRequestMessage Request(HttpMethod method, string pathTemplate, string flag)
    {
        // The flag is one escaped path segment: it can never leave the configured base URL.
        var path = pathTemplate.Replace("{flag}", Uri.EscapeDataString(flag), StringComparison.Ordinal);
        var request = new HttpRequestMessage(method, new Uri(new Uri(provider.BaseUrl!.TrimEnd('/') + "/"), path.TrimStart('/')));
        foreach (var (name, value) in provider.Headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return request;
    }

    /// <summary>RFC 6901 JSON pointer; the whole document for an empty pointer.</summary>
    private static JsonNode? Pointer(JsonNode? node, string pointer)
    {
        foreach (var token in pointer.Split('/').Skip(1).Select(t => t.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)))
        {
            node = node switch
            {
                JsonObject obj => obj[token],
                JsonArray array when int.TryParse(token, out var index) && index < array.Count => array[index],
                _ => null,
            };
        }

        return node;
    }
}

/// <summary>Azure App Configuration key-values (feature flags are the keys <c>.appconfig.featureflag/NAME</c>).</summary>
public sealed class AppConfigurationFlagStore(IHttpClientFactory httpClients, AppConfigurationCredentials credentials, TimeProvider clock) : FlagStore(httpClients)
{
    private const string KeyValueMediaType = "application/vnd.microsoft.appconfig.kv+json";

    public override async Task<FlagValue> ReadAsync(string flag, string? label, CancellationToken cancellationToken)
    {
        using var request = Request(HttpMethod.Get, flag, label, "");
        return await SendAsync(request, cancellationToken) is { } body && JsonNode.Parse(body) is { } kv
            ? new FlagValue(true, JsonValue.Create((string?)kv["value"]), (string?)kv["etag"])
            : new FlagValue(false, null);
    }

    /// <summary>Read-modify-write attempts before a write that keeps losing to concurrent ones gives up (the step is retried).</summary>
    private const int WriteAttempts = 3;

    /// <summary>
    /// A PUT replaces the whole key-value: the content type (what makes a key a feature flag) and the
    /// tags go back as read, and <c>If-Match</c> with the read's ETag writes only over what was read
    /// (<c>If-None-Match: *</c> when there was nothing); a concurrent change (412) reads again, unless
    /// the write is bound to the version the three-state rule judged (<paramref name="expectedETag"/>):
    /// then a 412 is that version gone, thrown as <see cref="TargetChangedException"/>, never written over.
    /// </summary>
    public override async Task WriteAsync(string flag, string? label, JsonNode? value, string? expectedETag, CancellationToken cancellationToken)
    {
        // App Configuration values are strings: a JSON value that is not one is stored as its JSON text.
        var text = value is JsonValue v && v.TryGetValue<string>(out var s) ? s : value?.ToJsonString() ?? "";
        for (var attempt = 1; ; attempt++)
        {
            using var read = Request(HttpMethod.Get, flag, label, "");
            var current = await SendAsync(read, cancellationToken) is { } found ? JsonNode.Parse(found) : null;
            var body = new JsonObject
            {
                ["value"] = text,
                ["content_type"] = current?["content_type"]?.DeepClone(),
                ["tags"] = current?["tags"]?.DeepClone() ?? new JsonObject(),
            }.ToJsonString();
            using var request = Request(HttpMethod.Put, flag, label, body);
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(KeyValueMediaType);
            request.Headers.TryAddWithoutValidation(current is null && expectedETag is null ? "If-None-Match" : "If-Match", current is null && expectedETag is null ? "*" : $"\"{expectedETag ?? (string?)current!["etag"]}\"");
            try
            {
                await SendAsync(request, cancellationToken);
                return;
            }
            catch (FlagPreconditionFailedException e) when (expectedETag is not null)
            {
                throw new TargetChangedException($"{flag} changed since the version judged (ETag {expectedETag}): {e.Message}", e);
            }
            catch (FlagPreconditionFailedException) when (attempt < WriteAttempts)
            {
                // Someone wrote in between: read again.
            }
        }
    }

    private HttpRequestMessage Request(HttpMethod method, string key, string? label, string body)
    {
        // No label is the null label, "\0" in the query.
        var query = $"label={(label is null ? "%00" : Uri.EscapeDataString(label))}&api-version=1.0";
        var request = new HttpRequestMessage(method, new Uri(credentials.Endpoint, $"kv/{Uri.EscapeDataString(key)}?{query}"));
        credentials.Sign(request, body, clock.GetUtcNow());
        return request;
    }
}
