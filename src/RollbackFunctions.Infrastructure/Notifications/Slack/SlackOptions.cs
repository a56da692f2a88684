namespace RollbackFunctions.Infrastructure.Notifications.Slack;

/// <summary>
/// <c>Rollback:Slack</c>: the Slack app whose Approve and Reject buttons act on rollbacks. Without
/// <see cref="SigningSecret"/> the interaction route answers 404 and the approval message carries
/// no buttons: nothing can act through Slack that Slack did not sign.
/// </summary>
public sealed class SlackOptions
{
    /// <summary>Slack's own host for <c>response_url</c>; the only place an interaction's outcome is sent.</summary>
    public const string SlackHooks = "https://hooks.slack.com/";

    /// <summary>The app's signing secret (Basic Information → App Credentials): requests are verified with it.</summary>
    public string? SigningSecret { get; set; }

    /// <summary>Slack user ids (<c>U…</c>/<c>W…</c>) who may approve and reject; anyone else is refused and audited.</summary>
    public List<string> Operators { get; init; } = [];

    /// <summary>
    /// Where <c>response_url</c> may point: Slack's hooks host. Changed only to point tests at a local
    /// receiver; a <c>response_url</c> anywhere else is refused, so a request cannot aim our POST elsewhere.
    /// </summary>
    public string ResponseUrlBase { get; set; } = SlackHooks;

    /// <summary>Whether Slack interactions are switched on.</summary>
    public bool Enabled => !string.IsNullOrEmpty(SigningSecret);

    /// <summary>The operators, also when one app setting lists several as <c>U1,U2</c>.</summary>
    public IReadOnlySet<string> OperatorIds =>
        Operators.SelectMany(o => o.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToHashSet(StringComparer.Ordinal);

    /// <summary>Why these options cannot be used, or nothing when they can.</summary>
    public IEnumerable<string> Problems()
    {
        if (!Uri.TryCreate(ResponseUrlBase, UriKind.Absolute, out var responseBase) || responseBase.Scheme is not ("http" or "https"))
        {
            yield return "Rollback:Slack:ResponseUrlBase must be an absolute http(s) URL";
        }

        if (Enabled && OperatorIds.Count == 0)
        {
            yield return "Rollback:Slack:Operators must list the Slack user ids who may approve when Rollback:Slack:SigningSecret is set";
        }
    }

    /// <summary>
    /// Whether <paramref name="responseUrl"/> is under <see cref="ResponseUrlBase"/>: same scheme, host
    /// and port, and a path below its path. Compared as parsed URIs, so user info, a look-alike host
    /// (<c>hooks.slack.com.evil</c>) or an encoded dot segment does not pass.
    /// </summary>
    public bool AllowsResponseUrl(string? responseUrl)
    {
        if (!Uri.TryCreate(responseUrl, UriKind.Absolute, out var url) || !Uri.TryCreate(ResponseUrlBase, UriKind.Absolute, out var allowed))
        {
            return false;
        }

        var basePath = allowed.AbsolutePath.EndsWith('/') ? allowed.AbsolutePath : allowed.AbsolutePath + "/";
        return url.Scheme == allowed.Scheme
            && string.Equals(url.IdnHost, allowed.IdnHost, StringComparison.OrdinalIgnoreCase)
            && url.Port == allowed.Port
            && url.UserInfo.Length == 0
            && url.AbsolutePath.StartsWith(basePath, StringComparison.Ordinal);
    }
}
