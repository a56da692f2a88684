using System.Collections.Concurrent;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace RollbackFunctions.Testing;

/// <summary>
/// A Kubernetes API server at the wire, for where none can run (these machines): the endpoints the
/// executors and <c>kubectl rollout undo</c> use, with realistic objects and a small controller.
/// Objects keep resourceVersion (PUT with a stale one is a 409) and generation; changing a
/// workload's pod template makes a revision (a ReplicaSet for Deployments, reusing one with the same
/// template as the real controller does, or a ControllerRevision), and its status reports the rollout
/// complete after <see cref="RolloutTime"/> unless the workload is in <see cref="NeverAvailable"/>.
/// Argo Rollouts walk their canary steps, promote, abort and roll back to stable as argo-rollouts does.
/// </summary>
public sealed partial class FakeKubernetesApi : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly ConcurrentDictionary<string, JsonObject> objects = new();
    private readonly ConcurrentDictionary<string, DateTimeOffset> rolloutDoneAt = new();
    private readonly Lock gate = new();
    private long resourceVersion = 1000;

    private FakeKubernetesApi(WebApplication app, string baseUrl)
    {
        this.app = app;
        BaseUrl = baseUrl;
    }

    public string BaseUrl { get; }

    /// <summary>Every request, in order: method, path with query, content type, body.</summary>
    public ConcurrentQueue<KubeRequest> Requests { get; } = new();

    /// <summary>How long a changed workload takes to report its rollout complete.</summary>
    public TimeSpan RolloutTime { get; set; } = TimeSpan.FromMilliseconds(300);

    /// <summary>Workloads (namespace/name) whose rollout never completes; with a message, they report ProgressDeadlineExceeded.</summary>
    public ConcurrentDictionary<string, string?> NeverAvailable { get; } = new();

    /// <summary>Answers to give instead of serving: "METHOD path-suffix" → statuses, taken one per matching request.</summary>
    public ConcurrentDictionary<string, ConcurrentQueue<int>> Faults { get; } = new();

    public IEnumerable<KubeRequest> Writes => Requests.Where(r => r.Method is "PATCH" or "PUT" or "POST");

    public static async Task<FakeKubernetesApi> StartAsync()
    {
        FakeKubernetesApi? fake = null;
        var (app, baseUrl) = await LoopbackServer.StartAsync(server =>
        {
            server.Run(context => fake!.ServeAsync(context));
        });
        fake = new FakeKubernetesApi(app, baseUrl);
        return fake;
    }

    /// <summary>A kubeconfig pointing at this server (no credentials), written to <paramref name="path"/>.</summary>
    public string WriteKubeconfig(string path)
    {
        File.WriteAllText(path, $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: fake
              cluster:
                server: {BaseUrl}
            users:
            - name: tester
              user:
                token: fake-token-not-a-secret
            contexts:
            - name: fake
              context:
                cluster: fake
                user: tester
            current-context: fake
            """);
        return path;
    }

    /// <summary>The stored object, or null.</summary>
    public JsonObject? Get(string apiPrefix, string ns, string plural, string name)
    {
        var found = objects.TryGetValue(Key(apiPrefix, ns, plural, name), out var obj) ? obj : null;
        if (found is not null)
        {
            lock (gate)
            {
                RefreshStatus(apiPrefix, plural, found);
            }
        }

        return found?.DeepClone().AsObject();
    }

    public JsonObject? Deployment(string ns, string name) => Get("/apis/apps/v1", ns, "deployments", name);

    public async ValueTask DisposeAsync() => await app.DisposeAsync();

    private static string Key(string apiPrefix, string ns, string plural, string name) => $"{apiPrefix}|{ns}|{plural}|{name}";

    private async Task ServeAsync(HttpContext context)
    {
        var request = context.Request;
        using var reader = new StreamReader(request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync();
        var record = new KubeRequest(request.Method, request.Path + request.QueryString, request.ContentType ?? "", body);
        Requests.Enqueue(record);

        foreach (var (key, queue) in Faults)
        {
            var parts = key.Split(' ', 2);
            if (parts[0] == request.Method && request.Path.Value!.EndsWith(parts[1], StringComparison.Ordinal) && queue.TryDequeue(out var fault))
            {
                await WriteAsync(context, fault, Status(fault, "injected fault"));
                return;
            }
        }

        try
        {
            var (status, reply) = Route(request.Method, request.Path.Value!, request.Query["labelSelector"].ToString(), request.ContentType ?? "", body, request.Query["dryRun"] == "All");
            await WriteAsync(context, status, reply);
        }
        catch (Exception e)
        {
            // A bug in the fake must read as one in the test's output, not as a flaky API server.
            await WriteAsync(context, 500, Status(500, $"fake API server bug: {e}"));
        }
    }

    private static Task WriteAsync(HttpContext context, int status, JsonNode reply)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(reply.ToJsonString());
    }

    private static JsonObject Status(int code, string message) => new()
    {
        ["kind"] = "Status",
        ["apiVersion"] = "v1",
        ["metadata"] = new JsonObject(),
        ["status"] = "Failure",
        ["message"] = message,
        ["reason"] = code switch { 404 => "NotFound", 409 => "Conflict", 422 => "Invalid", 415 => "UnsupportedMediaType", _ => "InternalError" },
        ["code"] = code,
    };
}

/// <summary>One request the fake API server received.</summary>
public sealed record KubeRequest(string Method, string Path, string ContentType, string Body)
{
    public JsonNode? Json => Body.Length == 0 ? null : JsonNode.Parse(Body);
}
