using RollbackFunctions.Core.Deploys;

namespace RollbackFunctions.Core.Executors;

/// <summary>Why a registration could not capture the state of its steps; nothing is stored.</summary>
/// <param name="Problems">Per step path (<c>steps[2]</c>), what went wrong.</param>
/// <param name="Transient">Every problem may go away on a retry: answer 503 so CI retries.</param>
public sealed record CaptureFailure(IReadOnlyDictionary<string, string[]> Problems, bool Transient);

/// <summary>
/// Reads every step's target when a deploy is registered, in parallel and bounded in time, and
/// records what each executor captured on the step. A step whose executor says it can never be
/// reverted automatically becomes manual.
/// </summary>
public sealed class StepCapture(StepExecutorCatalog executors)
{
    /// <summary>How long CI waits for the targets to be read before the registration answers 503.</summary>
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    public async Task<(DeployRecord? Record, CaptureFailure? Failure)> CaptureAsync(DeployRecord record, CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(Limit);
        var preparations = await Task.WhenAll(record.Steps.Select(step => PrepareAsync(record.DeployId, step, limit.Token)));

        var problems = record.Steps.Zip(preparations)
            .Select((pair, index) => (Path: $"steps[{index}]", pair.Second))
            .Where(p => p.Second.Problem is not null)
            .ToDictionary(p => p.Path, p => new[] { $"could not read the target before the deploy: {p.Second.Problem}" });
        if (problems.Count > 0)
        {
            return (null, new CaptureFailure(problems, preparations.Where(p => p.Problem is not null).All(p => p.Transient)));
        }

        var steps = record.Steps.Zip(preparations, (step, prepared) => step with
        {
            Captured = prepared.Captured,
            RevertMode = prepared.ManualOnly ? RevertMode.Manual : step.RevertMode,
        }).ToList();
        return (record with { Steps = steps }, null);
    }

    private async Task<StepPreparation> PrepareAsync(string deployId, DeployStep step, CancellationToken cancellationToken)
    {
        if (executors.Find(step.Kind) is not { } executor || step.RevertMode == RevertMode.Manual)
        {
            return StepPreparation.Nothing; // validated already; manual steps are never executed
        }

        try
        {
            return await executor.PrepareAsync(new StepPrepareRequest(deployId, step.Id, step.Kind, step.Params), cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return StepPreparation.Failed($"no answer within {Limit}", transient: true);
        }
    }
}
