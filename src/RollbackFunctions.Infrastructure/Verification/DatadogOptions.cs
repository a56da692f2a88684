using System.ComponentModel.DataAnnotations;

namespace RollbackFunctions.Infrastructure.Verification;

/// <summary>Datadog's API, bound from <c>Rollback:Datadog</c>; the keys are Key Vault references in Azure.</summary>
public sealed class DatadogOptions : IValidatableObject
{
    /// <summary>The site: <c>datadoghq.com</c> (US1), <c>us3.datadoghq.com</c>, <c>us5.datadoghq.com</c>, <c>datadoghq.eu</c>, <c>ap1.datadoghq.com</c>, <c>ddog-gov.com</c> (US1-FED).</summary>
    public string Site { get; set; } = "datadoghq.com";

    /// <summary>The API's base URL; <c>https://api.{Site}</c> unless set (tests point it at a stand-in).</summary>
    public string? ApiUrl { get; set; }

    public string? ApiKey { get; set; }
    public string? ApplicationKey { get; set; }

    /// <summary>How far back a query looks: the last complete bucket of each metric series, the log count over the window.</summary>
    [Range(typeof(TimeSpan), "00:00:30", "01:00:00")]
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Most Datadog checks (<c>datadog</c> and <c>datadogLogs</c> together) one deploy may register:
    /// every watched deploy queries each of its checks every interval against one organisation's
    /// rate limit, so ten deploys with ten checks at 15 s already ask 400 times a minute.
    /// </summary>
    [Range(1, 100)]
    public int MaxChecksPerDeploy { get; set; } = 10;

    /// <summary>
    /// Longest a query waits for a 429's <c>X-RateLimit-Reset</c> before asking once more; a later
    /// reset makes this sample an error and no call is made until it passes. Keep it under the
    /// watch interval of Datadog checks (the default one is 15 s): a longer wait delays the next
    /// sample, since the watcher samples one round at a time.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan RateLimitMaxWait { get; set; } = TimeSpan.FromSeconds(5);

    public static IReadOnlyList<string> Sites { get; } = ["datadoghq.com", "us3.datadoghq.com", "us5.datadoghq.com", "datadoghq.eu", "ap1.datadoghq.com", "ddog-gov.com"];

    public string BaseUrl => (ApiUrl ?? $"https://api.{Site}").TrimEnd('/');

    public IEnumerable<string?> Secrets() => [ApiKey, ApplicationKey];

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!Sites.Contains(Site))
        {
            yield return new ValidationResult($"Rollback:Datadog:Site must be one of {string.Join(", ", Sites)}");
        }
    }
}
