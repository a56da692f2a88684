using System.Net.Sockets;
using Azure;
using Grpc.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace RollbackFunctions.Api.Http;

/// <summary>
/// When storage or the durable engine cannot be reached, a request is answered 503 with
/// Retry-After: Alertmanager, Datadog and CI retry a 503, and nothing was acknowledged that was not
/// stored. (A 500 says "our bug"; a 2xx would drop the alert.) Both runtimes route every handler's
/// exceptions through <see cref="TryReply"/>: the local runtime as an endpoint filter, the Functions
/// app as worker middleware.
/// </summary>
public static class Unavailable
{
    /// <summary>The reply for <paramref name="exception"/> if it means a dependency is unavailable, else null (let it be a 500).</summary>
    public static IResult? TryReply(Exception exception, ILogger logger, string path)
    {
        if (PartOf(exception) is not { } part)
        {
            return null;
        }

        ApiLog.DependencyUnavailable(logger, part, path, exception);
        return Problems.Unavailable($"the {part} is unavailable; nothing from this request was acknowledged: retry");
    }

    /// <summary>Which dependency failed, if the failure is one of reaching it rather than a bug.</summary>
    private static string? PartOf(Exception exception) => exception switch
    {
        RequestFailedException { Status: 0 or 408 or 429 or >= 500 } => "storage",
        RpcException { StatusCode: not StatusCode.Cancelled } => "durable engine",
        HttpRequestException or SocketException or TimeoutException => "storage",
        AggregateException aggregate when aggregate.InnerExceptions.Count > 0 => PartOf(aggregate.InnerExceptions[0]),
        _ when exception.InnerException is { } inner => PartOf(inner),
        _ => null,
    };
}
