using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace RollbackFunctions.Testing;

/// <summary>An answer of a <see cref="StubServer"/>.</summary>
public sealed record StubReply(int Status, string Body, IReadOnlyDictionary<string, string>? Headers = null);

/// <summary>One request a <see cref="StubServer"/> received.</summary>
public sealed record StubRequest(string Method, string PathAndQuery, IReadOnlyDictionary<string, string> Headers, string Body);

/// <summary>
/// An HTTP API at the wire whose answers the test writes (response shapes from the API's own
/// documentation), recording every request: for SaaS APIs that cannot run here (Datadog) and
/// servers not installed here (Loki).
/// </summary>
public sealed class StubServer : IAsyncDisposable
{
    private readonly WebApplication app;

    private StubServer(WebApplication app, string baseUrl)
    {
        this.app = app;
        BaseUrl = baseUrl;
    }

    public string BaseUrl { get; }

    public ConcurrentQueue<StubRequest> Requests { get; } = new();

    public static async Task<StubServer> StartAsync(Func<StubRequest, StubReply> answer)
    {
        StubServer? stub = null;
        var (app, baseUrl) = await LoopbackServer.StartAsync(server =>
        {
            server.Run(async context =>
            {
                using var reader = new StreamReader(context.Request.Body);
                var request = new StubRequest(
                    context.Request.Method,
                    context.Request.Path + context.Request.QueryString,
                    context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
                    await reader.ReadToEndAsync());
                stub!.Requests.Enqueue(request);
                var reply = answer(request);
                context.Response.StatusCode = reply.Status;
                context.Response.ContentType = "application/json";
                foreach (var (name, value) in reply.Headers ?? new Dictionary<string, string>())
                {
                    context.Response.Headers[name] = value;
                }

                await context.Response.WriteAsync(reply.Body);
            });
        });
        stub = new StubServer(app, baseUrl);
        return stub;
    }

    public async ValueTask DisposeAsync() => await app.DisposeAsync();
}
