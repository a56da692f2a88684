namespace RollbackFunctions.Local;

/// <summary>
/// Runs the engine's handover when the host begins to stop (SIGTERM, Ctrl+C, a test's StopAsync):
/// in <see cref="StoppingAsync"/>, which the host calls before it stops any hosted service, so the
/// Durable worker is still connected and the activities it runs can deliver their results.
/// </summary>
internal sealed class HandOverOnStop(DurableEngine engine) : IHostedLifecycleService
{
    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        try
        {
            await engine.HandOverAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // The host's shutdown timeout ran out first; disposing the engine says so.
        }
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
