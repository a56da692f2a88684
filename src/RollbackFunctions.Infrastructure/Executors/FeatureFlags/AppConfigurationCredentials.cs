using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace RollbackFunctions.Infrastructure.Executors.FeatureFlags;

/// <summary>
/// An App Configuration access key and how it signs a request (HMAC-SHA256 over the method, the
/// path and query, and the x-ms-date, host and x-ms-content-sha256 headers, as the service documents).
/// </summary>
public sealed record AppConfigurationCredentials(Uri Endpoint, string Id, byte[] Secret)
{
    /// <summary>Null and the credentials, or what is wrong with the connection string.</summary>
    public static string? TryParse(string? connectionString, out AppConfigurationCredentials? credentials)
    {
        credentials = null;
        var parts = (connectionString ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('=', 2))
            .Where(p => p.Length == 2)
            .ToDictionary(p => p[0].Trim(), p => p[1].Trim(), StringComparer.OrdinalIgnoreCase);
        if (!parts.TryGetValue("Endpoint", out var endpoint) || !Uri.TryCreate(endpoint, UriKind.Absolute, out var uri)
            || !parts.TryGetValue("Id", out var id) || !parts.TryGetValue("Secret", out var secret))
        {
            return "must be Endpoint=https://<store>.azconfig.io;Id=<id>;Secret=<secret>";
        }

        try
        {
            credentials = new AppConfigurationCredentials(uri, id, Convert.FromBase64String(secret));
            return null;
        }
        catch (FormatException)
        {
            return "has a Secret that is not base64";
        }
    }

    /// <summary>Adds the date, content hash and Authorization headers to <paramref name="request"/>.</summary>
    public void Sign(HttpRequestMessage request, string body, DateTimeOffset now)
    {
        var date = now.UtcDateTime.ToString("R", CultureInfo.InvariantCulture);
        var contentHash = Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(body)));
        var host = request.RequestUri!.Authority;
        var toSign = $"{request.Method.Method}\n{request.RequestUri.PathAndQuery}\n{date};{host};{contentHash}";
        var signature = Convert.ToBase64String(HMACSHA256.HashData(Secret, Encoding.UTF8.GetBytes(toSign)));
        request.Headers.TryAddWithoutValidation("x-ms-date", date);
        request.Headers.TryAddWithoutValidation("x-ms-content-sha256", contentHash);
        request.Headers.TryAddWithoutValidation("Authorization", $"HMAC-SHA256 Credential={Id}&SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature={signature}");
    }
}
