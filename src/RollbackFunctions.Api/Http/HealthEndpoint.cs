using Microsoft.AspNetCore.Http;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using RollbackFunctions.Infrastructure.Storage;

namespace RollbackFunctions.Api.Http;

/// <summary>
/// <c>GET /api/health</c>: 200 when storage and the durable engine answer, 503 otherwise. The route
/// is anonymous, so the reply says only which part is unavailable; why goes to the log.
/// </summary>
public sealed class HealthEndpoint(StorageTables tables, ILogger<HealthEndpoint> logger)
{
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(5);

    public async Task<IResult> GetAsync(DurableTaskClient durable, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ProbeTimeout);
        var storageProbe = ProbeAsync("storage", cancellationToken, timeout.Token, async () => await tables.Deploys.GetEntityIfExistsAsync<Azure.Data.Tables.TableEntity>("health", "probe", cancellationToken: timeout.Token));
        var engineProbe = ProbeAsync("durable engine", cancellationToken, timeout.Token, async () => await durable.GetInstanceAsync("health-probe", timeout.Token));
        // In parallel, each within the budget: a slow part must not time the other out.
        var (storage, engine) = (await storageProbe, await engineProbe);
        var healthy = storage is null && engine is null;
        var reply = new HealthReply(healthy ? "healthy" : "unhealthy", storage ?? "ok", engine ?? "ok");
        return Results.Json(reply, ApiJson.Replies, statusCode: healthy ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
    }

    /// <summary>
    /// Null when the probe answered, else "unavailable"; the exception is logged, never returned. A
    /// caller that went away (<paramref name="request"/> cancelled) is not a failure of the part and
    /// is not logged; a part that did not answer within the budget (<paramref name="budget"/>: an
    /// engine still starting, a loaded host) is a warning; anything else is an error.
    /// </summary>
    private async Task<string?> ProbeAsync(string part, CancellationToken request, CancellationToken budget, Func<Task> probe)
    {
        try
        {
            await probe();
            return null;
        }
        catch (Exception) when (request.IsCancellationRequested)
        {
            return "unavailable";
        }
        catch (Exception) when (budget.IsCancellationRequested)
        {
            ApiLog.HealthProbeTimedOut(logger, part, ProbeTimeout);
            return "unavailable";
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            ApiLog.HealthProbeFailed(logger, part, e);
            return "unavailable";
        }
    }
}

/// <summary>Health reply.</summary>
public sealed record HealthReply(string Status, string Storage, string DurableEngine);
