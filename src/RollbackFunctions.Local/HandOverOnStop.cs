namespace RollbackFunctions.Local;

/// <summary>
/// Runs the engine's handover when the host begins to stop (SIGTERM, Ctrl+C, a test's StopAsync):
/// in <see cref="StoppingAsync"/>, which the host calls before it stops any hosted service, so the
/// Durable worker is still connected and the activities it runs can deliver their results.
/// </summary>
internal sealed class HandOverOnStop(DurableEngine engine) : IHostedLifecycleService
{
    /// <summary>
    /// Bounded on its own: with storage unreachable at stop the provider retries its lease writes for
    /// as long as it is let, and a stop must not hang on it (the leases then simply run out).
    /// </summary>
    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bound.CancelAfter(engine.HandoverLimit);
        try
        {
            await engine.HandOverAsync(bound.Token);
        }
        catch (OperationCanceledException)
        {
            // Cut short (storage unreachable, or the host's shutdown timeout); disposing the engine says so.
        }
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
