using System.ComponentModel.DataAnnotations;

namespace RollbackFunctions.Infrastructure.Executors.Helm;

/// <summary>The helm binary, bound from <c>Rollback:Executors:Helm</c>; clusters come from the Kubernetes settings.</summary>
public sealed class HelmOptions : IValidatableObject
{
    /// <summary>Absolute path of the helm binary; <c>helmRelease</c> steps are refused while unset.</summary>
    public string? Path { get; set; }

    /// <summary>How long reading a release's history may take (at registration and before a rollback).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00")]
    public TimeSpan HistoryTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a revert waits for a release in <c>pending-install</c>, <c>pending-upgrade</c> or
    /// <c>pending-rollback</c> to finish (CI's helm may still be running) before treating it as stuck
    /// (a helm client that died) and rolling back over it.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:30:00")]
    public TimeSpan PendingWait { get; set; } = TimeSpan.FromMinutes(2);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Path is { Length: > 0 } path && !System.IO.Path.IsPathRooted(path))
        {
            yield return new ValidationResult("Rollback:Executors:Helm:Path must be an absolute path");
        }
    }
}
