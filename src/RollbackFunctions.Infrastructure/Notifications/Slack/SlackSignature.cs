using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace RollbackFunctions.Infrastructure.Notifications.Slack;

/// <summary>
/// Slack's request signing, version <c>v0</c>: <c>X-Slack-Signature: v0=</c> the hex HMAC-SHA256,
/// keyed with the app's signing secret, of <c>v0:{X-Slack-Request-Timestamp}:{raw body}</c>. A request
/// older (or newer) than <see cref="MaxAge"/> is refused, so a captured request cannot be replayed later.
/// </summary>
public static class SlackSignature
{
    public const string SignatureHeader = "X-Slack-Signature";
    public const string TimestampHeader = "X-Slack-Request-Timestamp";
    public const string Version = "v0";

    /// <summary>How far the request's timestamp may be from our clock, either way (Slack's advice).</summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromMinutes(5);

    /// <summary>The header value Slack sends for <paramref name="body"/> at <paramref name="timestamp"/> (unix seconds).</summary>
    public static string Sign(string signingSecret, string timestamp, byte[] body)
    {
        var prefix = Encoding.UTF8.GetBytes($"{Version}:{timestamp}:");
        byte[] signed = [.. prefix, .. body];
        var hmac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(signingSecret), signed);
        return $"{Version}={Convert.ToHexStringLower(hmac)}";
    }

    /// <summary>Whether the request is Slack's and fresh; the comparison takes the same time wherever the signatures differ.</summary>
    public static bool IsValid(string signingSecret, string? timestamp, string? signature, byte[] body, DateTimeOffset now)
    {
        if (string.IsNullOrEmpty(signature) || !long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            || seconds > DateTimeOffset.MaxValue.ToUnixTimeSeconds())
        {
            return false;
        }

        if ((now - DateTimeOffset.FromUnixTimeSeconds(seconds)).Duration() > MaxAge)
        {
            return false;
        }

        var expected = Encoding.ASCII.GetBytes(Sign(signingSecret, timestamp!, body));
        var presented = Encoding.ASCII.GetBytes(signature);
        return CryptographicOperations.FixedTimeEquals(expected, presented);
    }
}
