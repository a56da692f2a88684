using System.ComponentModel.DataAnnotations;

namespace RollbackFunctions.Infrastructure.Storage;

/// <summary>Where the product keeps its tables. Bound from <c>Rollback:Storage</c>.</summary>
public sealed class StorageOptions
{
    /// <summary>Storage connection string; falls back to <c>AzureWebJobsStorage</c>.</summary>
    [Required]
    public string ConnectionString { get; set; } = "";

    /// <summary>Prefix of every table name, letters and digits only: lets several instances or test runs share an account.</summary>
    [Required]
    [RegularExpression("^[A-Za-z][A-Za-z0-9]{0,40}$")]
    public string TablePrefix { get; set; } = "Rollback";
}
