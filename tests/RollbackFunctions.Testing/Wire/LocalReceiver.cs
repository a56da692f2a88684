using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace RollbackFunctions.Testing;

/// <summary>
/// A real HTTP server standing in for what cannot run here (the systems a <c>webhook</c> step
/// reverts, PagerDuty, Slack, Teams): it records every POST with its body and arrival time, and
/// answers as scripted per path (delay, status).
/// </summary>
public sealed class LocalReceiver : IAsyncDisposable
{
    private readonly WebApplication app;

    private LocalReceiver(WebApplication app, string baseUrl)
    {
        this.app = app;
        BaseUrl = baseUrl;
    }

    public string BaseUrl { get; }

    public ConcurrentQueue<ReceivedCall> Received { get; } = new();

    public ConcurrentDictionary<string, TimeSpan> Delays { get; } = new();

    /// <summary>Calls answered 2xx, in the order they finished: what took effect at the target (a call whose caller died meanwhile included).</summary>
    public ConcurrentQueue<ReceivedCall> Succeeded { get; } = new();

    public ConcurrentDictionary<string, int> Statuses { get; } = new();

    /// <summary>Paths that answer 503 until the given moment: a receiver restarting.</summary>
    public ConcurrentDictionary<string, DateTimeOffset> Outage { get; } = new();

    /// <summary>Called for every request as it arrives, e.g. to make a metric recover when a revert lands.</summary>
    public Action<ReceivedCall>? OnReceived { get; set; }

    /// <summary>Paths in arrival order.</summary>
    public IReadOnlyList<string> Paths => Received.Select(r => r.Path).ToList();

    public string UrlFor(string path) => $"{BaseUrl}/{path}";

    public static async Task<LocalReceiver> StartAsync()
    {
        LocalReceiver? receiver = null;
        var (app, baseUrl) = await LoopbackServer.StartAsync(server =>
        {
            server.MapPost("/{**path}", async (string path, HttpRequest request) =>
            {
                using var reader = new StreamReader(request.Body);
                var body = await reader.ReadToEndAsync();
                var received = new ReceivedCall(path, body, request.Headers["Idempotency-Key"].ToString(), DateTimeOffset.UtcNow)
                {
                    Approved = request.Headers["X-Rollback-Approved"].ToString() == "true",
                };
                receiver!.Received.Enqueue(received);
                receiver.OnReceived?.Invoke(received);
                if (receiver.Delays.TryGetValue(path, out var delay))
                {
                    await Task.Delay(delay);
                }

                var status = receiver.Outage.TryGetValue(path, out var until) && DateTimeOffset.UtcNow < until
                    ? 503
                    : receiver.Statuses.GetValueOrDefault(path, 200);
                if (status == 428 && received.Approved)
                {
                    status = 200; // a destructive revert goes through once approved
                }

                if (status is >= 200 and < 300)
                {
                    receiver.Succeeded.Enqueue(received);
                }

                return Results.StatusCode(status);
            });
        });
        receiver = new LocalReceiver(app, baseUrl);
        return receiver;
    }

    /// <summary>Waits until <paramref name="condition"/> holds over what was received, or fails.</summary>
    public async Task WaitForAsync(Func<IReadOnlyList<ReceivedCall>, bool> condition, TimeSpan timeout, string what)
    {
        await Eventually.HoldsAsync(
            () => Task.FromResult(condition(Received.ToList())),
            timeout,
            () => $"timed out waiting for {what}; received: {string.Join(", ", Paths)}",
            TimeSpan.FromMilliseconds(50));
    }

    public async ValueTask DisposeAsync() => await app.DisposeAsync();
}

/// <summary>One call as received.</summary>
public sealed record ReceivedCall(string Path, string Body, string IdempotencyKey, DateTimeOffset At)
{
    /// <summary>The call carried <c>X-Rollback-Approved: true</c>.</summary>
    public bool Approved { get; init; }
}
