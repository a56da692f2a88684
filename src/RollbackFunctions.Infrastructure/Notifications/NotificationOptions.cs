namespace RollbackFunctions.Infrastructure.Notifications;

/// <summary>
/// Where pages go, bound from <c>Rollback:Notifications</c>. Keys and URLs come only from here
/// (Key Vault references in Azure), never from a deploy payload.
/// </summary>
public sealed class NotificationOptions
{
    /// <summary>Base URL of this API as on-call reaches it, for status links in pages.</summary>
    public string PublicBaseUrl { get; set; } = "http://127.0.0.1:7071";

    /// <summary>PagerDuty Events API base; changed only to point tests at a local receiver.</summary>
    public string PagerDutyEventsUrl { get; set; } = "https://events.pagerduty.com";

    /// <summary>Channels for services and environments no route names.</summary>
    public NotificationRoute Default { get; set; } = new();

    /// <summary>Channels per service and/or environment; the most specific match wins.</summary>
    public List<NotificationRoute> Routes { get; set; } = [];

    /// <summary>Whether every configured URL is an absolute http(s) URL: checked when the host starts.</summary>
    public bool AreUsable() =>
        new[] { PublicBaseUrl, PagerDutyEventsUrl }
            .Concat(Routes.Append(Default).SelectMany(r => new[] { r.SlackWebhookUrl, r.TeamsWebhookUrl }).Where(u => !string.IsNullOrEmpty(u)))
            .All(u => Uri.TryCreate(u, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https");

    /// <summary>Every secret configured here, for redaction.</summary>
    public IEnumerable<string?> Secrets() =>
        Routes.Append(Default).SelectMany(r => new[] { r.PagerDutyRoutingKey, r.SlackWebhookUrl, r.TeamsWebhookUrl });
}

/// <summary>The channels of one service/environment.</summary>
public sealed class NotificationRoute
{
    /// <summary>Service this route is for; null matches any.</summary>
    public string? Service { get; set; }

    /// <summary>Environment this route is for; null matches any.</summary>
    public string? Environment { get; set; }

    /// <summary>PagerDuty Events v2 integration key.</summary>
    public string? PagerDutyRoutingKey { get; set; }

    /// <summary>Slack incoming webhook URL.</summary>
    public string? SlackWebhookUrl { get; set; }

    /// <summary>Microsoft Teams incoming webhook URL.</summary>
    public string? TeamsWebhookUrl { get; set; }

    /// <summary>How well this route fits; -1 when it does not.</summary>
    public int Specificity(string service, string environment)
    {
        if ((Service is not null && Service != service) || (Environment is not null && Environment != environment))
        {
            return -1;
        }

        return (Service is null ? 0 : 2) + (Environment is null ? 0 : 1);
    }
}
