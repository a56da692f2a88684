using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using RollbackFunctions.Core.Executors;
using RollbackFunctions.Core.Ports;
using RollbackFunctions.Infrastructure.Executors.Kubernetes;
using RollbackFunctions.Infrastructure.Executors.Processes;

namespace RollbackFunctions.Infrastructure.Executors.Helm;

/// <summary>
/// <c>helmRelease</c>: <c>helm rollback RELEASE REVISION --namespace NS --wait --timeout T</c> with
/// the cluster's kubeconfig. The revision is <c>params.revision</c>, else the release's deployed
/// revision read from <c>helm history -o json</c> when the deploy was registered. Before rolling
/// back it reads <c>helm status -o json</c> and waits out a <c>pending-*</c> release (see
/// <see cref="HelmOptions.PendingWait"/>). Idempotent: when the release's latest revision is that
/// one, or a rollback to it, nothing runs.
/// </summary>
public sealed partial class HelmReleaseExecutor(IOptions<HelmOptions> options, KubernetesClusters clusters, ProcessRunner processes) : IStepExecutor
{
    public string Kind => "helmRelease";

    public string? ValidateParams(JsonObject parameters) => Read(parameters, out _);

    public async Task<StepPreparation> PrepareAsync(StepPrepareRequest request, CancellationToken cancellationToken)
    {
        if (Read(request.Params, out var release) is { } problem)
        {
            return StepPreparation.Failed(problem, transient: false);
        }

        if (release.Revision is { } given)
        {
            return new StepPreparation(new JsonObject { ["revision"] = given, ["from"] = "params.revision" }) { Before = StateOf(given) };
        }

        var (history, error, transient) = await HistoryAsync(release, cancellationToken);
        if (history is null)
        {
            return StepPreparation.Failed(error!, transient);
        }

        if (history.LastOrDefault(r => r.Status == "deployed") is not { } deployed)
        {
            return StepPreparation.Failed($"{release} has no deployed revision to return to; pass params.revision", transient: false);
        }

        return new StepPreparation(new JsonObject
        {
            ["revision"] = deployed.Revision,
            ["chart"] = deployed.Chart,
            ["appVersion"] = deployed.AppVersion,
            ["from"] = "helm history at registration",
        }) { Before = StateOf(deployed.Revision) };
    }

    /// <summary>
    /// The revision whose content the release runs now: the deployed one, or for a revision made by
    /// <c>helm rollback</c> ("Rollback to 5") the one it copied, so a release rolled back by hand
    /// to the revision from before the deploy reads as that revision.
    /// </summary>
    public async Task<TargetObservation> ObserveAsync(StepObserveRequest request, CancellationToken cancellationToken)
    {
        if (Read(request.Params, out var release) is { } problem)
        {
            return TargetObservation.Failed(problem, transient: false);
        }

        var (history, error, transient) = await HistoryAsync(release, cancellationToken);
        if (history is null)
        {
            return TargetObservation.Failed(error!, transient);
        }

        return history.MaxBy(r => r.Revision) is { } latest
            ? new TargetObservation(StateOf(ContentRevision(history, latest)))
            : TargetObservation.Failed($"{release} has no revision", transient: false);
    }

    private static long ContentRevision(IReadOnlyList<HelmRevision> history, HelmRevision revision)
    {
        for (var hops = 0; hops < history.Count && RollbackTo().Match(revision.Description) is { Success: true } copied; hops++)
        {
            var source = long.Parse(copied.Groups[1].Value, CultureInfo.InvariantCulture);
            if (history.FirstOrDefault(r => r.Revision == source) is not { } found)
            {
                return source;
            }

            revision = found;
        }

        return revision.Revision;
    }

    private static Core.Executors.TargetState StateOf(long contentRevision) =>
        Core.Executors.TargetState.Of(("revision", contentRevision.ToString(CultureInfo.InvariantCulture)));

    [GeneratedRegex(@"^Rollback to (\d+)$")]
    private static partial Regex RollbackTo();

    public async Task<StepRevertResult> RevertAsync(StepRevertRequest request, CancellationToken cancellationToken)
    {
        if (Read(request.Params, out var release) is { } problem)
        {
            return StepRevertResult.Failed(problem);
        }

        if ((release.Revision ?? JsonNumbers.Long(request.Captured?["revision"], fallback: 0)) is not (> 0 and var target))
        {
            return StepRevertResult.Failed($"{release}: no revision captured at registration and params.revision is not set");
        }

        var (stuck, statusError, statusTransient) = await SettleAsync(release, cancellationToken);
        if (statusError is not null)
        {
            return statusTransient ? throw new StepUnavailableException(statusError) : StepRevertResult.Failed(statusError);
        }

        var (history, error, transient) = await HistoryAsync(release, cancellationToken);
        if (history is null)
        {
            return transient ? throw new StepUnavailableException(error!) : StepRevertResult.Failed(error!);
        }

        if (history.MaxBy(r => r.Revision) is { Status: "deployed" } latest
            && (latest.Revision == target || latest.Description == $"Rollback to {target}"))
        {
            return StepRevertResult.Reverted($"{release} is already at revision {target} (revision {latest.Revision}: {latest.Description})");
        }

        var wait = KubernetesWorkloadExecutor.WaitBudget(request.WaitLimit);
        var result = await processes.RunAsync(
            options.Value.Path!,
            ["rollback", release.Name, target.ToString(CultureInfo.InvariantCulture), "--namespace", release.Namespace, "--wait",
                "--timeout", $"{(long)wait.TotalSeconds}s", .. ClusterArguments(release)],
            Path.GetTempPath(),
            wait + TimeSpan.FromSeconds(30),
            cancellationToken);
        if (result.ExitCode == 0)
        {
            return StepRevertResult.Reverted($"{(stuck is null ? "" : stuck + "; ")}helm rolled {release} back to revision {target}: {result.Tail()}");
        }

        return result.TimedOut || result.StandardError.Contains("timed out waiting for the condition", StringComparison.OrdinalIgnoreCase)
            ? StepRevertResult.TimedOut($"helm rollback of {release} to revision {target} did not finish: {result.Tail()}")
            : StepRevertResult.Failed($"helm rollback of {release} to revision {target} exited {result.ExitCode}: {result.Tail()}");
    }

    /// <summary>The release's history, oldest first; or why it could not be read, and whether a retry may help.</summary>
    private async Task<(IReadOnlyList<HelmRevision>? History, string? Error, bool Transient)> HistoryAsync(HelmRelease release, CancellationToken cancellationToken)
    {
        var result = await processes.RunAsync(
            options.Value.Path!,
            ["history", release.Name, "--namespace", release.Namespace, "--max", "50", "--output", "json", .. ClusterArguments(release)],
            Path.GetTempPath(),
            options.Value.HistoryTimeout,
            cancellationToken);
        if (result.ExitCode != 0)
        {
            var (problem, transient) = Failure("history", release, result);
            return (null, problem, transient);
        }

        try
        {
            var revisions = JsonSerializer.Deserialize<List<HelmRevision>>(result.StandardOutput) ?? [];
            return (revisions.OrderBy(r => r.Revision).ToList(), null, false);
        }
        catch (JsonException e)
        {
            return (null, $"helm history of {release} printed something that is not its JSON: {e.Message}", false);
        }
    }

    /// <summary>The cluster's kubeconfig and context, as flags; nothing in-cluster, where helm finds its service account.</summary>
    private IEnumerable<string> ClusterArguments(HelmRelease release)
    {
        var cluster = clusters.Options.Clusters[release.Cluster];
        if (cluster.Kubeconfig is { } kubeconfig)
        {
            yield return "--kubeconfig";
            yield return kubeconfig;
        }

        if (cluster.Context is { } context)
        {
            yield return "--kube-context";
            yield return context;
        }
    }

    private string? Read(JsonObject parameters, out HelmRelease release)
    {
        var p = new StepParams(parameters).OnlyKnown("cluster", "namespace", "release", "revision");
        var cluster = p.Matching("cluster", KubernetesNames.Cluster(), "must be a cluster name", required: false);
        var ns = p.Matching("namespace", KubernetesNames.Label(), KubernetesNames.LabelRule);
        var name = p.Matching("release", ReleaseName(), "must be a Helm release name (lower-case letters, digits, '-' and '.', at most 53)");
        var revision = p.Number("revision", 1, int.MaxValue);
        if (clusters.Resolve(cluster, out var resolved) is { } clusterProblem)
        {
            p.Add("cluster", clusterProblem);
        }

        if (string.IsNullOrEmpty(options.Value.Path))
        {
            p.Add("release", "cannot be rolled back here: helm is not configured (Rollback:Executors:Helm:Path)");
        }

        release = new HelmRelease(resolved, ns ?? "", name ?? "", revision);
        return p.Problem;
    }

    /// <summary>Helm's own rule for release names.</summary>
    [GeneratedRegex("^(?=.{1,53}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex ReleaseName();

    private sealed record HelmRelease(string Cluster, string Namespace, string Name, long? Revision)
    {
        public override string ToString() => $"release {Namespace}/{Name} in cluster {Cluster}";
    }

    /// <summary>One entry of <c>helm history -o json</c>.</summary>
    private sealed record HelmRevision
    {
        [System.Text.Json.Serialization.JsonPropertyName("revision")] public long Revision { get; init; }
        [System.Text.Json.Serialization.JsonPropertyName("status")] public string Status { get; init; } = "";
        [System.Text.Json.Serialization.JsonPropertyName("chart")] public string Chart { get; init; } = "";
        [System.Text.Json.Serialization.JsonPropertyName("app_version")] public string AppVersion { get; init; } = "";
        [System.Text.Json.Serialization.JsonPropertyName("description")] public string Description { get; init; } = "";
    }
}
