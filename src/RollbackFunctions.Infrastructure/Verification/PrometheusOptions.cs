namespace RollbackFunctions.Infrastructure.Verification;

/// <summary>The Prometheus that verification queries, bound from <c>Rollback:Prometheus</c>.</summary>
public sealed class PrometheusOptions
{
    /// <summary>Base URL, e.g. <c>http://prometheus:9090</c>; checks fail with Error while unset.</summary>
    public string? BaseUrl { get; set; }

    /// <summary>Sent as <c>Authorization: Bearer</c> when set.</summary>
    public string? BearerToken { get; set; }

    /// <summary>Basic auth user, with <see cref="Password"/>.</summary>
    public string? Username { get; set; }

    public string? Password { get; set; }

    /// <summary>Server-side evaluation timeout passed as the <c>timeout</c> parameter.</summary>
    public TimeSpan QueryTimeout { get; set; } = TimeSpan.FromSeconds(10);
}
