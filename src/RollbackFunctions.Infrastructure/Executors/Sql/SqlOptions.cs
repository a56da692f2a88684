using System.ComponentModel.DataAnnotations;

namespace RollbackFunctions.Infrastructure.Executors.Sql;

/// <summary>
/// Databases <c>sqlMigration</c> steps may name, bound from <c>Rollback:Executors:Sql</c>.
/// Connection strings (with their passwords) come from here, Key Vault references in Azure.
/// </summary>
public sealed class SqlOptions : IValidatableObject
{
    /// <summary>Databases by the name a step gives in <c>params.database</c>.</summary>
    public Dictionary<string, SqlDatabaseOptions> Databases { get; set; } = new(StringComparer.Ordinal);

    /// <summary>How long one down migration may run before PostgreSQL cancels it.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Every connection string, for redaction.</summary>
    public IEnumerable<string?> Secrets() => Databases.Values.Select(d => d.ConnectionString);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext) =>
        Databases.Where(d => string.IsNullOrWhiteSpace(d.Value.ConnectionString))
            .Select(d => new ValidationResult($"Rollback:Executors:Sql:Databases:{d.Key}:ConnectionString is required"));
}

/// <summary>One database.</summary>
public sealed class SqlDatabaseOptions
{
    /// <summary>Npgsql connection string.</summary>
    public string ConnectionString { get; set; } = "";
}
