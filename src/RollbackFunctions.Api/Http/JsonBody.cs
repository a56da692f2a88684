using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace RollbackFunctions.Api.Http;

/// <summary>
/// Reads a JSON request body defensively: content type checked, size capped before the whole body
/// is buffered, parse errors turned into problem replies. Nothing downstream sees an unchecked body.
/// </summary>
public static class JsonBody
{
    /// <summary>Largest body accepted, in bytes, unless a route says otherwise (the alert webhooks do).</summary>
    public const int MaxBytes = 1024 * 1024;

    /// <summary>Reads and parses the body; on failure <c>Problem</c> holds the reply to send.</summary>
    public static async Task<(JsonDocument? Document, IResult? Problem)> ReadAsync(HttpRequest request, CancellationToken cancellationToken, bool optional = false, int maxBytes = MaxBytes)
    {
        if (optional && request.ContentLength is null or 0 && string.IsNullOrEmpty(request.ContentType))
        {
            return (null, null);
        }

        if (!IsJson(request.ContentType))
        {
            return (null, Problems.UnsupportedMediaType(request.ContentType));
        }

        var (bytes, tooLarge) = await ReadBytesAsync(request, maxBytes, cancellationToken);
        if (tooLarge is not null)
        {
            return (null, tooLarge);
        }

        try
        {
            var document = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 64, AllowDuplicateProperties = false });
            return (document, null);
        }
        catch (JsonException e)
        {
            return (null, Problems.BadRequest($"malformed JSON: {e.Message}"));
        }
    }

    /// <summary>The raw body, capped at <paramref name="maxBytes"/> before it is all buffered (a signed body is verified byte for byte).</summary>
    public static async Task<(byte[] Bytes, IResult? TooLarge)> ReadBytesAsync(HttpRequest request, int maxBytes, CancellationToken cancellationToken)
    {
        if (request.ContentLength > maxBytes)
        {
            return ([], Problems.TooLarge(maxBytes));
        }

        var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > maxBytes)
            {
                return ([], Problems.TooLarge(maxBytes));
            }

            buffer.Write(chunk, 0, read);
        }

        return (buffer.ToArray(), null);
    }

    /// <summary>Reads, parses and binds the body to <typeparamref name="T"/>; on failure <c>Problem</c> holds the reply to send.</summary>
    public static async Task<(T? Value, IResult? Problem)> ReadAsync<T>(HttpRequest request, CancellationToken cancellationToken)
        where T : class
    {
        var (document, problem) = await ReadAsync(request, cancellationToken);
        using var _ = document;
        return problem is not null ? (null, problem) : Bind<T>(document!);
    }

    /// <summary>Binds a parsed body to <typeparamref name="T"/> with the strict API settings.</summary>
    public static (T? Value, IResult? Problem) Bind<T>(JsonDocument document)
        where T : class
    {
        try
        {
            return document.Deserialize<T>(ApiJson.Strict) is { } value
                ? (value, null)
                : (null, Problems.BadRequest("the body must be a JSON object, not null"));
        }
        catch (JsonException e)
        {
            return (null, Problems.BadRequest(Describe(e)));
        }
    }

    private static string Describe(JsonException e) =>
        e.Path is { Length: > 0 } path && !e.Message.Contains(path, StringComparison.Ordinal) ? $"{e.Message} (at {path})" : e.Message;

    private static bool IsJson(string? contentType) =>
        MediaTypeHeaderValue.TryParse(contentType, out var parsed)
        && parsed.MediaType is { } media
        && (media.Equals("application/json", StringComparison.OrdinalIgnoreCase) || media.EndsWith("+json", StringComparison.OrdinalIgnoreCase));
}
