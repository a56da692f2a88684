using System.ComponentModel.DataAnnotations;

namespace RollbackFunctions.Infrastructure.Storage;

/// <summary>
/// Where the product keeps its tables. Bound from <c>Rollback:Storage</c>; what is not set there
/// comes from the Functions host's own storage setting, <c>AzureWebJobsStorage</c> (a connection
/// string) or its identity-based form (<c>AzureWebJobsStorage__accountName</c> or
/// <c>__tableServiceUri</c>, with <c>__credential</c> and <c>__clientId</c>).
/// </summary>
public sealed class StorageOptions
{
    /// <summary>Storage connection string (Azurite, or an account key where shared keys are allowed).</summary>
    public string ConnectionString { get; set; } = "";

    /// <summary>The Table service endpoint, reached with an Entra ID token instead of a key.</summary>
    public Uri? TableServiceUri { get; set; }

    /// <summary>Storage account name: the endpoint is <c>https://{name}.table.core.windows.net</c>.</summary>
    public string AccountName { get; set; } = "";

    /// <summary><c>managedidentity</c> for the app's managed identity only; otherwise the default credential chain.</summary>
    public string Credential { get; set; } = "";

    /// <summary>Client id of a user-assigned managed identity.</summary>
    public string ClientId { get; set; } = "";

    /// <summary>Prefix of every table name, letters and digits only: lets several instances or test runs share an account.</summary>
    [Required]
    [RegularExpression("^[A-Za-z][A-Za-z0-9]{0,40}$")]
    public string TablePrefix { get; set; } = "Rollback";

    /// <summary>
    /// How long a deploy without a rollback is kept after CI last touched it (default 90 days).
    /// Deploys that had a rollback, rollbacks and the audit trail are kept.
    /// </summary>
    public TimeSpan RetainDeploys { get; set; } = TimeSpan.FromDays(90);

    /// <summary>The endpoint for identity-based access, if configured that way.</summary>
    public Uri? IdentityEndpoint =>
        TableServiceUri ?? (string.IsNullOrEmpty(AccountName) ? null : new Uri($"https://{AccountName}.table.core.windows.net"));

    public IEnumerable<string> Problems()
    {
        if (string.IsNullOrEmpty(ConnectionString) && IdentityEndpoint is null)
        {
            yield return "Rollback:Storage: no storage configured: set ConnectionString, or AccountName/TableServiceUri for a managed identity (or the host's AzureWebJobsStorage, AzureWebJobsStorage__accountName)";
        }

        if (!string.IsNullOrEmpty(AccountName) && !System.Text.RegularExpressions.Regex.IsMatch(AccountName, "^[a-z0-9]{3,24}$"))
        {
            yield return "Rollback:Storage:AccountName must be 3-24 lowercase letters and digits";
        }

        if (RetainDeploys < TimeSpan.FromDays(1))
        {
            yield return "Rollback:Storage:RetainDeploys must be at least a day";
        }

        if (TableServiceUri is { } uri && (!uri.IsAbsoluteUri || uri.Scheme != Uri.UriSchemeHttps))
        {
            yield return "Rollback:Storage:TableServiceUri must be an absolute https URL";
        }
    }
}
