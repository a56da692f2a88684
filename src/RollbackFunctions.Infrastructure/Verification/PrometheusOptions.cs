using System.ComponentModel.DataAnnotations;

namespace RollbackFunctions.Infrastructure.Verification;

/// <summary>The Prometheus that verification queries, bound from <c>Rollback:Prometheus</c>.</summary>
public sealed class PrometheusOptions : IValidatableObject
{
    /// <summary>Base URL, e.g. <c>http://prometheus:9090</c>; checks fail with Error while unset.</summary>
    public string? BaseUrl { get; set; }

    /// <summary>Sent as <c>Authorization: Bearer</c> when set.</summary>
    public string? BearerToken { get; set; }

    /// <summary>Basic auth user, with <see cref="Password"/>.</summary>
    public string? Username { get; set; }

    public string? Password { get; set; }

    /// <summary>Server-side evaluation timeout passed as the <c>timeout</c> parameter.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00")]
    public TimeSpan QueryTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The secrets configured here, for redaction.</summary>
    public IEnumerable<string?> Secrets() => [BearerToken, Password];

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!string.IsNullOrEmpty(BaseUrl) && !(Uri.TryCreate(BaseUrl, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"))
        {
            yield return new ValidationResult("Rollback:Prometheus:BaseUrl must be an absolute http(s) URL", [nameof(BaseUrl)]);
        }

        if (string.IsNullOrEmpty(Username) != string.IsNullOrEmpty(Password))
        {
            yield return new ValidationResult("Rollback:Prometheus: Username and Password go together", [nameof(Username), nameof(Password)]);
        }
    }
}
