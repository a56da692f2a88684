using Microsoft.AspNetCore.Http;
using Microsoft.DurableTask.Client;
using RollbackFunctions.Infrastructure.Storage;

namespace RollbackFunctions.Api.Http;

/// <summary><c>GET /api/health</c>: 200 when storage and the durable engine answer, 503 otherwise.</summary>
public sealed class HealthEndpoint(StorageTables tables)
{
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(5);

    public async Task<IResult> GetAsync(DurableTaskClient durable, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ProbeTimeout);
        var storage = await ProbeAsync(async () => await tables.Deploys.GetEntityIfExistsAsync<Azure.Data.Tables.TableEntity>("health", "probe", cancellationToken: timeout.Token));
        var engine = await ProbeAsync(async () => await durable.GetInstanceAsync("health-probe", timeout.Token));
        var healthy = storage is null && engine is null;
        var reply = new HealthReply(healthy ? "healthy" : "unhealthy", storage ?? "ok", engine ?? "ok");
        return Results.Json(reply, ApiJson.Replies, statusCode: healthy ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
    }

    /// <summary>Null when the probe answered, else what went wrong.</summary>
    private static async Task<string?> ProbeAsync(Func<Task> probe)
    {
        try
        {
            await probe();
            return null;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return $"{e.GetType().Name}: {e.Message.Split('\n')[0]}";
        }
    }
}

/// <summary>Health reply.</summary>
public sealed record HealthReply(string Status, string Storage, string DurableEngine);
