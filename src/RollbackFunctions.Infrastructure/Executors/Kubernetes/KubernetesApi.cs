using System.Net;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;
using RollbackFunctions.Core.Executors;

namespace RollbackFunctions.Infrastructure.Executors.Kubernetes;

/// <summary>
/// The few Kubernetes calls the executors make, each wrapped in one retry pipeline for transient
/// faults (429, 5xx, 409 conflicts on update, timeouts, refused connections). A 404 on read is an
/// answer (null), not a fault.
/// </summary>
public sealed class KubernetesApi
{
    private readonly KubernetesClusters clusters;
    private readonly ResiliencePipeline retry;

    public KubernetesApi(KubernetesClusters clusters, IOptions<KubernetesOptions> options)
    {
        this.clusters = clusters;
        retry = new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception switch
                {
                    HttpOperationException e => IsTransient(e.Response.StatusCode),
                    HttpRequestException => true,
                    TaskCanceledException => !args.Context.CancellationToken.IsCancellationRequested, // the client's request timeout
                    _ => false,
                }),
                MaxRetryAttempts = options.Value.RetryAttempts - 1,
                Delay = options.Value.RetryDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
            })
            .Build();
    }

    public Task<KubeObject?> GetAsync(string cluster, KubeResource resource, string ns, string name, CancellationToken cancellationToken) =>
        retry.ExecuteAsync(async token =>
        {
            try
            {
                return await Generic(cluster, resource).ReadNamespacedAsync<KubeObject>(ns, name, token);
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
            {
                return null;
            }
        }, cancellationToken).AsTask();

    public async Task<IList<KubeObject>> ListAsync(string cluster, KubeResource resource, string ns, string labelSelector, CancellationToken cancellationToken) =>
        (await retry.ExecuteAsync(
            async token => await Generic(cluster, resource).ListNamespacedAsync<KubeObjectList>(ns, labelSelector: labelSelector, cancel: token),
            cancellationToken)).Items;

    public Task<KubeObject> PatchAsync(string cluster, KubeResource resource, string ns, string name, V1Patch patch, CancellationToken cancellationToken) =>
        retry.ExecuteAsync(async token => await Generic(cluster, resource).PatchNamespacedAsync<KubeObject>(patch, ns, name, token), cancellationToken).AsTask();

    /// <summary>
    /// The same patch with <paramref name="resourceVersion"/> as its precondition, in the body where
    /// the API server checks it (for every patch type): a 409 means the object changed since that
    /// version was read, nothing was written, and it is thrown as <see cref="TargetChangedException"/>
    /// for the caller to read and judge again, never retried with the same version.
    /// </summary>
    public Task<KubeObject> PatchAtVersionAsync(string cluster, KubeResource resource, string ns, string name, V1Patch patch, string resourceVersion, CancellationToken cancellationToken, bool status = false)
    {
        var guarded = WithResourceVersion(patch, resourceVersion);
        return retry.ExecuteAsync(async token =>
        {
            try
            {
                return status
                    ? KubeObjectOf(await clusters.ClientFor(cluster).CustomObjects.PatchNamespacedCustomObjectStatusAsync(guarded, resource.Group, resource.Version, ns, resource.Plural, name, cancellationToken: token))
                    : await Generic(cluster, resource).PatchNamespacedAsync<KubeObject>(guarded, ns, name, token);
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
            {
                throw new TargetChangedException($"{resource.Kind} {ns}/{name} changed since resourceVersion {resourceVersion} was read: {Describe(e)}", e);
            }
        }, cancellationToken).AsTask();
    }

    /// <summary>The patch, also setting metadata.resourceVersion (a JSON patch gains an op, a merge patch the field).</summary>
    private static V1Patch WithResourceVersion(V1Patch patch, string resourceVersion)
    {
        var body = JsonNode.Parse((string)patch.Content)!;
        if (body is JsonArray operations)
        {
            operations.Add(new JsonObject { ["op"] = "replace", ["path"] = "/metadata/resourceVersion", ["value"] = resourceVersion });
        }
        else
        {
            var metadata = body["metadata"] as JsonObject ?? new JsonObject();
            metadata["resourceVersion"] = resourceVersion;
            body["metadata"] = metadata;
        }

        return new V1Patch(body.ToJsonString(), patch.Type);
    }

    private static KubeObject KubeObjectOf(object answer) =>
        KubernetesJson.Deserialize<KubeObject>(answer is System.Text.Json.JsonElement json ? json.GetRawText() : KubernetesJson.Serialize(answer));

    /// <summary>
    /// The same patch as a server-side dry run (<c>dryRun=All</c>): admission webhooks and validation
    /// run, nothing is stored. For ConfigMaps (the core group) and resources of a named API group
    /// (workloads, Rollouts).
    /// </summary>
    public Task DryRunPatchAsync(string cluster, KubeResource resource, string ns, string name, V1Patch patch, CancellationToken cancellationToken) =>
        retry.ExecuteAsync(
            async token => resource == KubeResource.ConfigMap
                ? await clusters.ClientFor(cluster).CoreV1.PatchNamespacedConfigMapAsync(patch, name, ns, dryRun: "All", cancellationToken: token)
                : await clusters.ClientFor(cluster).CustomObjects.PatchNamespacedCustomObjectAsync(patch, resource.Group, resource.Version, ns, resource.Plural, name, dryRun: "All", cancellationToken: token),
            cancellationToken).AsTask();

    /// <summary>
    /// Reads a ConfigMap, lets <paramref name="change"/> edit it, and replaces it only at
    /// <paramref name="judgedVersion"/> (else the read's resourceVersion): a 409 means it changed
    /// since, nothing was written, and it is thrown as <see cref="TargetChangedException"/> for the
    /// caller to read and judge again. Null when it does not exist.
    /// </summary>
    public Task<V1ConfigMap?> UpdateConfigMapAsync(string cluster, string ns, string name, string? judgedVersion, Func<V1ConfigMap, bool> change, CancellationToken cancellationToken) =>
        retry.ExecuteAsync(async token =>
        {
            var core = clusters.ClientFor(cluster).CoreV1;
            V1ConfigMap current;
            try
            {
                current = await core.ReadNamespacedConfigMapAsync(name, ns, cancellationToken: token);
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
            {
                return null;
            }

            if (!change(current))
            {
                return current;
            }

            current.Metadata.ResourceVersion = judgedVersion ?? current.Metadata.ResourceVersion;
            try
            {
                return await core.ReplaceNamespacedConfigMapAsync(current, name, ns, cancellationToken: token);
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
            {
                throw new TargetChangedException($"ConfigMap {ns}/{name} changed since resourceVersion {current.Metadata.ResourceVersion} was read: {Describe(e)}", e);
            }
        }, cancellationToken).AsTask();

    /// <summary>
    /// Reads an object and merge-patches it with what <paramref name="patchFor"/> makes of it, the
    /// read's resourceVersion in the patch as a precondition (the API server answers 409 when the
    /// object changed since): the change applies only to what was read, as an update would, and a
    /// conflict re-reads and tries again. Null when it does not exist; nothing is written when
    /// <paramref name="patchFor"/> returns null.
    /// </summary>
    public Task<KubeObject?> PatchIfUnchangedAsync(string cluster, KubeResource resource, string ns, string name, Func<KubeObject, JsonObject?> patchFor, CancellationToken cancellationToken) =>
        retry.ExecuteAsync(async token =>
        {
            KubeObject current;
            try
            {
                current = await Generic(cluster, resource).ReadNamespacedAsync<KubeObject>(ns, name, token);
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
            {
                return null;
            }

            if (patchFor(current) is not { } patch)
            {
                return current;
            }

            patch["metadata"] = new JsonObject { ["resourceVersion"] = current.Metadata.ResourceVersion };
            return await Generic(cluster, resource).PatchNamespacedAsync<KubeObject>(new V1Patch(patch.ToJsonString(), V1Patch.PatchType.MergePatch), ns, name, token);
        }, cancellationToken).AsTask();

    /// <summary>Patches the status subresource of a custom object (how <c>kubectl argo rollouts abort</c> aborts).</summary>
    public Task PatchStatusAsync(string cluster, KubeResource resource, string ns, string name, V1Patch patch, CancellationToken cancellationToken) =>
        retry.ExecuteAsync(
            async token => await clusters.ClientFor(cluster).CustomObjects.PatchNamespacedCustomObjectStatusAsync(patch, resource.Group, resource.Version, ns, resource.Plural, name, cancellationToken: token),
            cancellationToken).AsTask();

    /// <summary>A one-line account of an API failure for a step's detail, without credentials.</summary>
    public static string Describe(Exception e) => e switch
    {
        HttpOperationException http => $"the API server answered {(int)http.Response.StatusCode}: {Shorten(http.Response.Content)}",
        HttpRequestException request => $"the API server could not be reached: {Shorten(request.Message)}",
        _ => $"{e.GetType().Name}: {Shorten(e.Message)}",
    };

    private static bool IsTransient(HttpStatusCode status) =>
        status is HttpStatusCode.Conflict or HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout || (int)status >= 500;

    private static string Shorten(string? text) => text is null ? "" : text.Length <= 300 ? text : text[..300] + "…";

    private GenericClient Generic(string cluster, KubeResource resource) =>
        new(clusters.ClientFor(cluster), resource.Group, resource.Version, resource.Plural, disposeClient: false);
}
