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
        var preparations = await Task.WhenAll(record.Steps.Select(step => PrepareAsync(record.DeployId, record.Version, step, limit.Token)));

        var problems = record.Steps.Zip(preparations)
            .Select((pair, index) => (Path: $"steps[{index}]", pair.Second))
            .Where(p => p.Second.Problem is not null)
            .ToDictionary(p => p.Path, p => new[] { p.Second.AlreadyApplied ? p.Second.Problem! : $"could not read the target before the deploy: {p.Second.Problem}" });
        if (problems.Count > 0)
        {
            return (null, new CaptureFailure(problems, preparations.Where(p => p.Problem is not null).All(p => p.Transient)));
        }

        var steps = record.Steps.Zip(preparations, (step, prepared) => step with
        {
            Captured = prepared.Captured,
            Before = prepared.Before,
            RevertMode = prepared.ManualOnly ? RevertMode.Manual : step.RevertMode,
        }).ToList();
        return (record with { Steps = steps }, null);
    }

    /// <summary>
    /// Reads the state a step's deploy made, when CI reports it applied or failed: the <c>after</c> of
    /// the three-state rule. Null when the kind cannot be read, or the read failed (the report
    /// stands; the revert then treats anything but "before" as drift).
    /// </summary>
    public async Task<(TargetState? State, string? Problem)> ObserveAfterAsync(string deployId, DeployStep step, CancellationToken cancellationToken)
    {
        if (executors.Find(step.Kind) is not { } executor || step.RevertMode == RevertMode.Manual)
        {
            return (null, null);
        }

        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(Limit);
        try
        {
            var observed = await executor.ObserveAsync(new StepObserveRequest(deployId, step.Id, step.Kind, step.Params) { Captured = step.Captured }, limit.Token);
            return (observed.State, observed.Problem);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return (null, e.Message);
        }
    }

    private async Task<StepPreparation> PrepareAsync(string deployId, string version, DeployStep step, CancellationToken cancellationToken)
    {
        if (executors.Find(step.Kind) is not { } executor || step.RevertMode == RevertMode.Manual)
        {
            return StepPreparation.Nothing; // validated already; manual steps are never executed
        }

        try
        {
            var prepared = await executor.PrepareAsync(new StepPrepareRequest(deployId, step.Id, step.Kind, step.Params) { Version = version }, cancellationToken);
            return prepared.AlreadyApplied
                // Capturing now would keep the deploy's own state as "before": the revert would restore nothing and say reverted.
                ? prepared with { Problem = $"step {step.Id} was registered after applying: {prepared.Problem ?? "its target already runs this deploy's version"}; register before applying, or set params.toRevision to say what to restore" }
                : prepared;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return StepPreparation.Failed($"no answer within {Limit}", transient: true);
        }
    }
}
