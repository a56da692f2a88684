using System.Reflection;
using System.Runtime.ExceptionServices;
using DurableTask.Core;

namespace RollbackFunctions.Local;

/// <summary>
/// Base of the wrappers the local engine puts around the Azure Storage orchestration service
/// (<see cref="StopAfterStart"/>, <see cref="ActivityLockRenewal"/>, <see cref="DuplicateActivityGuard"/>):
/// each handles a few calls and passes every other one on unchanged.
/// </summary>
public abstract class OrchestrationServiceProxy : DispatchProxy
{
    protected IOrchestrationService Inner { get; private set; } = null!;

    protected static TProxy Wrap<TProxy>(IOrchestrationService inner)
        where TProxy : OrchestrationServiceProxy
    {
        var proxy = (TProxy)(object)Create<IOrchestrationService, TProxy>();
        proxy.Inner = inner;
        return proxy;
    }

    /// <summary>Calls <paramref name="method"/> on the wrapped service, rethrowing its own exception rather than reflection's wrapper.</summary>
    protected object? Call(MethodInfo method, object?[]? args)
    {
        try
        {
            return method.Invoke(Inner, args);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            ExceptionDispatchInfo.Throw(e.InnerException);
            throw;
        }
    }
}
