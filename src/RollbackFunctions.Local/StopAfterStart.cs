using System.Reflection;
using DurableTask.Core;

namespace RollbackFunctions.Local;

/// <summary>
/// Wraps the Azure Storage orchestration service so that stopping it waits for its start to finish.
/// The sidecar starts the service in the background when the host starts; a host stopped within
/// that moment (a quick Ctrl+C, a short test) called <c>StopAsync</c> before <c>StartAsync</c> had
/// set up its shutdown token, and the provider's NullReferenceException crashed the process from a
/// thread-pool callback. A service never started is simply not stopped.
/// </summary>
public class StopAfterStart : OrchestrationServiceProxy
{
    private Task? started;

    public static IOrchestrationService Wrap(IOrchestrationService service) => (IOrchestrationService)(object)Wrap<StopAfterStart>(service);

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        switch (targetMethod!.Name)
        {
            case nameof(IOrchestrationService.StartAsync):
                started = (Task)Call(targetMethod, args)!;
                return started;
            case nameof(IOrchestrationService.StopAsync):
                return StopAsync(targetMethod, args);
            default:
                return Call(targetMethod, args);
        }
    }

    private async Task StopAsync(MethodInfo stop, object?[]? args)
    {
        if (started is null)
        {
            return;
        }

        try
        {
            await started;
        }
        catch (Exception)
        {
            return; // it never started, so there is nothing to stop
        }

        await (Task)Call(stop, args)!;
    }
}
