using System.ComponentModel.DataAnnotations;

namespace RollbackFunctions.Infrastructure.Executors.Processes;

/// <summary>How tools are stopped, bound from <c>Rollback:Executors:Processes</c>.</summary>
public sealed class ProcessOptions
{
    /// <summary>
    /// How long a tool has after SIGINT before SIGTERM, and after SIGTERM before SIGKILL. Terraform and
    /// Helm stop gracefully on SIGINT (terraform releases its state lock, helm marks the release),
    /// which takes time; a SIGKILL leaves locks and <c>pending-*</c> releases behind. Shortened to a
    /// quarter of a run's budget when the budget is short, so the step's deadline bounds every phase.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan GracePeriod { get; set; } = TimeSpan.FromSeconds(30);
}
