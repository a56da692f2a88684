using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;
using Microsoft.Extensions.Logging;
using RollbackFunctions.Api.Http;

namespace RollbackFunctions.Api;

/// <summary>
/// The Functions app's side of <see cref="Unavailable"/>: an HTTP function that failed because
/// storage or the durable engine could not be reached returns 503 with Retry-After instead of the
/// host's 500. (The ASP.NET Core integration executes an <c>IResult</c> invocation result.)
/// </summary>
public sealed class UnavailableMiddleware(ILogger<UnavailableMiddleware> logger) : IFunctionsWorkerMiddleware
{
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
