using System.ComponentModel.DataAnnotations;

namespace RollbackFunctions.Infrastructure.Executors.Terraform;

/// <summary>
/// The terraform binary and the infrastructure repositories, bound from
/// <c>Rollback:Executors:Terraform</c>. Provider credentials come from <see cref="Environment"/>
/// (Key Vault references in Azure) or the host's managed identity, never from a deploy body.
/// </summary>
public sealed class TerraformOptions : IValidatableObject
{
    /// <summary>Absolute path of the terraform binary; <c>terraform</c> steps are refused while unset.</summary>
    public string? Path { get; set; }

    /// <summary>Absolute path of git, for the worktree of the commit before the deploy.</summary>
    public string GitPath { get; set; } = "/usr/bin/git";

    /// <summary>Local git checkouts of the infrastructure repositories, by the name steps give in <c>params.workspace</c>.</summary>
    public Dictionary<string, string> Workspaces { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// <c>Rollback:Executors:Terraform:WorkspaceEnvironments:&lt;workspace&gt;</c>: the environments whose deploys
    /// may apply in each workspace (a separate map because <c>Workspaces:&lt;name&gt;</c> is the checkout's path).
    /// A workspace not listed serves every environment while none are declared, none once they are.
    /// </summary>
    public Dictionary<string, List<string>> WorkspaceEnvironments { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Where the temporary worktrees go; each is removed when its revert ends, or when the approved plan kept in it is applied.</summary>
    public string WorkRoot { get; set; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "rollback-terraform");

    /// <summary>
    /// Resource types whose every change waits for an operator, updates included (an update of a
    /// database server or a key vault can break everything that uses it). Deletes and replaces of
    /// any type wait for an operator whether listed here or not.
    /// </summary>
    public List<string> ProtectedTypes { get; set; } =
    [
        // Azure
        "azurerm_postgresql_flexible_server", "azurerm_postgresql_server", "azurerm_mssql_server", "azurerm_mssql_database",
        "azurerm_mysql_flexible_server", "azurerm_cosmosdb_account", "azurerm_storage_account", "azurerm_key_vault",
        "azurerm_dns_zone", "azurerm_private_dns_zone", "azurerm_redis_cache",
        // AWS
        "aws_db_instance", "aws_rds_cluster", "aws_dynamodb_table", "aws_s3_bucket", "aws_kms_key", "aws_route53_zone",
        "aws_elasticache_cluster", "aws_efs_file_system",
        // Google Cloud
        "google_sql_database_instance", "google_sql_database", "google_storage_bucket", "google_kms_crypto_key",
        "google_dns_managed_zone", "google_bigquery_dataset", "google_spanner_instance",
    ];

    /// <summary>Environment for terraform (provider credentials, backend settings); values are masked in every output.</summary>
    public Dictionary<string, string> Environment { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// <c>-lock-timeout</c> of plan and apply: how long terraform waits for a state lock another run
    /// holds before it gives up (the step's deadline bounds it as well).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:30:00")]
    public TimeSpan LockTimeout { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Environment values, for redaction.</summary>
    public IEnumerable<string?> Secrets() => Environment.Values;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var (name, path) in Workspaces.Where(w => !System.IO.Path.IsPathRooted(w.Value)))
        {
            yield return new ValidationResult($"Rollback:Executors:Terraform:Workspaces:{name} must be an absolute path, not '{path}'");
        }

        foreach (var (key, path) in new[] { ("Path", Path), ("GitPath", GitPath), ("WorkRoot", WorkRoot) })
        {
            if (path is { Length: > 0 } && !System.IO.Path.IsPathRooted(path))
            {
                yield return new ValidationResult($"Rollback:Executors:Terraform:{key} must be an absolute path");
            }
        }
    }
}
