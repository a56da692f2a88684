namespace RollbackFunctions.Core.Orchestration;

/// <summary>Input of <see cref="RollbackOrchestrator"/>. Every tunable travels here so tests can shrink it.</summary>
public sealed record RollbackRequest(string RollbackId, string DeployId, RollbackSettings Settings);

/// <summary>Timing and retry tunables of one rollback.</summary>
/// <param name="StepMaxAttempts">Durable attempts of one step's revert activity.</param>
/// <param name="StepFirstRetryInterval">Wait before the second attempt.</param>
/// <param name="StepBackoffCoefficient">Each further wait is this many times longer.</param>
public sealed record RollbackSettings(
    int StepMaxAttempts,
    TimeSpan StepFirstRetryInterval,
    double StepBackoffCoefficient)
{
    /// <summary>Production defaults.</summary>
    public static RollbackSettings Default { get; } = new(
        StepMaxAttempts: 3,
        StepFirstRetryInterval: TimeSpan.FromSeconds(5),
        StepBackoffCoefficient: 2);
}

/// <summary>Output of <see cref="RollbackOrchestrator"/>.</summary>
public sealed record RollbackResult(string RollbackId, Rollbacks.RollbackPhase Phase, string Summary, IReadOnlyDictionary<string, Deploys.StepStatus> Steps);
