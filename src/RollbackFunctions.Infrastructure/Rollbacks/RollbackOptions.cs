using System.ComponentModel.DataAnnotations;
using RollbackFunctions.Core.Orchestration;

namespace RollbackFunctions.Infrastructure.Rollbacks;

/// <summary>Rollback tunables, bound from <c>Rollback:Orchestration</c>.</summary>
public sealed class RollbackOptions
{
    [Range(1, 20)]
    public int StepMaxAttempts { get; set; } = RollbackSettings.Default.StepMaxAttempts;

    public TimeSpan StepFirstRetryInterval { get; set; } = RollbackSettings.Default.StepFirstRetryInterval;

    [Range(1.0, 10.0)]
    public double StepBackoffCoefficient { get; set; } = RollbackSettings.Default.StepBackoffCoefficient;

    /// <summary>
    /// A claim whose orchestration was not scheduled after this long was lost in a crash; the next
    /// alert or operator request for the deploy takes it over and schedules it.
    /// </summary>
    public TimeSpan StaleClaimAfter { get; set; } = TimeSpan.FromSeconds(30);

    public RollbackSettings ToSettings() => new(StepMaxAttempts, StepFirstRetryInterval, StepBackoffCoefficient);
}
