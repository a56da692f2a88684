using System.ComponentModel.DataAnnotations;

namespace RollbackFunctions.Infrastructure.Executors.FeatureFlags;

/// <summary>Flag and configuration stores <c>featureFlag</c> steps may name, bound from <c>Rollback:Executors:FeatureFlags</c>.</summary>
public sealed class FeatureFlagOptions : IValidatableObject
{
    /// <summary>Providers by the name a step gives in <c>params.provider</c>.</summary>
    public Dictionary<string, FlagProviderOptions> Providers { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Every secret configured here (headers, connection strings), for redaction.</summary>
    public IEnumerable<string?> Secrets() =>
        Providers.Values.SelectMany(p => p.Headers.Values.Append(p.ConnectionString));

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var (name, provider) in Providers)
        {
            var at = $"Rollback:Executors:FeatureFlags:Providers:{name}";
            if (provider.Type == FlagProviderType.AppConfiguration)
            {
                if (AppConfigurationCredentials.TryParse(provider.ConnectionString, out _) is { } problem)
                {
                    yield return new ValidationResult($"{at}:ConnectionString {problem}");
                }

                continue;
            }

            if (!Uri.TryCreate(provider.BaseUrl, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                yield return new ValidationResult($"{at}:BaseUrl must be an absolute http(s) URL");
            }

            if (!provider.GetPath.Contains("{flag}", StringComparison.Ordinal) || !provider.SetPath.Contains("{flag}", StringComparison.Ordinal))
            {
                yield return new ValidationResult($"{at}: GetPath and SetPath must contain {{flag}}");
            }

            if (provider.SetMethod is not ("PUT" or "PATCH" or "POST"))
            {
                yield return new ValidationResult($"{at}:SetMethod must be PUT, PATCH or POST");
            }
        }
    }
}

/// <summary>What kind of store a provider is.</summary>
public enum FlagProviderType
{
    /// <summary>Any HTTP API, described by the request templates below (Unleash, LaunchDarkly, a home-grown service).</summary>
    Http,

    /// <summary>Azure App Configuration (key-values and feature flags), signed with the connection string's HMAC key.</summary>
    AppConfiguration,
}

/// <summary>One flag store.</summary>
public sealed class FlagProviderOptions
{
    public FlagProviderType Type { get; set; } = FlagProviderType.Http;

    /// <summary>App Configuration: <c>Endpoint=https://….azconfig.io;Id=…;Secret=…</c>.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>HTTP: the API's base URL. Requests go nowhere else: it is the allow-list.</summary>
    public string? BaseUrl { get; set; }

    /// <summary>HTTP: path of the flag's current state, with <c>{flag}</c>.</summary>
    public string GetPath { get; set; } = "/flags/{flag}";

    /// <summary>HTTP: JSON pointer to the value in the GET reply (e.g. <c>/enabled</c>); the whole reply when empty.</summary>
    public string ValuePointer { get; set; } = "/value";

    /// <summary>HTTP: method that sets the value.</summary>
    public string SetMethod { get; set; } = "PUT";

    /// <summary>HTTP: path that sets the value, with <c>{flag}</c>.</summary>
    public string SetPath { get; set; } = "/flags/{flag}";

    /// <summary>HTTP: body that sets the value; <c>"{value}"</c> (with its quotes) becomes the JSON value.</summary>
    public string SetBody { get; set; } = """{"value": "{value}"}""";

    /// <summary>HTTP: content type of that body (<c>application/json-patch+json</c> for LaunchDarkly).</summary>
    public string SetContentType { get; set; } = "application/json";

    /// <summary>HTTP: headers sent on every request (an API token); masked in every output.</summary>
    public Dictionary<string, string> Headers { get; set; } = new(StringComparer.OrdinalIgnoreCase);
}
