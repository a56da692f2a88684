using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;
using Microsoft.Extensions.Logging;
using RollbackFunctions.Api.Http;

namespace RollbackFunctions.Api;

/// <summary>
/// The Functions app's side of <see cref="Unavailable"/>: an HTTP function that failed because
/// storage or the durable engine could not be reached returns 503 with Retry-After instead of the
/// host's 500. (The ASP.NET Core integration executes an <c>IResult</c> invocation result.)
/// Registered for HTTP triggers only (<see cref="AppliesTo"/>): resolving a middleware touches
/// <c>FunctionContext.InstanceServices</c>, which throws <c>ObjectDisposedException</c> while a
/// worker shuts down on scale-in, and an orchestrator replay that throws there is marked Failed for
/// good (azure-functions-durable-extension #3216, #3231, #3452). Orchestrations and activities never
/// reach this type.
/// </summary>
public sealed class UnavailableMiddleware(ILogger<UnavailableMiddleware> logger) : IFunctionsWorkerMiddleware
{
    /// <summary>Whether an invocation goes through this middleware: HTTP triggers only.</summary>
    public static bool AppliesTo(FunctionContext context) =>
        IsHttpTrigger(context.FunctionDefinition.InputBindings.Values.Select(binding => binding.Type));

    /// <summary>The rule over a function's binding types, as <c>functions.metadata</c> lists them.</summary>
    public static bool IsHttpTrigger(IEnumerable<string> bindingTypes) =>
        bindingTypes.Any(type => string.Equals(type, "httpTrigger", StringComparison.OrdinalIgnoreCase));

    public async Task Invoke(FunctionContext context, FunctionExecutionDelegate next)
    {
        try
        {
            await next(context);
        }
        catch (Exception e) when (context.GetHttpContext() is { } http && Unavailable.TryReply(e, logger, http.Request.Path) is { } reply)
        {
            context.GetInvocationResult().Value = reply;
        }
    }
}
