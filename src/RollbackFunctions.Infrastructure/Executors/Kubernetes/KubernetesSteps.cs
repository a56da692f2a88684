using System.Text.Json.Nodes;
using k8s.Autorest;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Executors;

namespace RollbackFunctions.Infrastructure.Executors.Kubernetes;

/// <summary>What every Kubernetes executor does the same way: reading its object at registration, and sorting API failures.</summary>
public static class KubernetesSteps
{
    /// <summary>
    /// Reads the object a step names and captures from it. Missing is final (nothing to roll back to);
    /// an API fault is transient; a refusal (403, 422) is final.
    /// </summary>
    public static Task<StepPreparation> CaptureAsync(
        KubernetesApi api, KubeResource resource, string cluster, string ns, string name, object target,
        Func<KubeObject, Task<JsonObject>> capture, CancellationToken cancellationToken) =>
        CaptureOrRefuseAsync(api, resource, cluster, ns, name, target, async found => new StepPreparation(await capture(found)), cancellationToken);

    /// <summary>The same, for a kind that may also refuse what it read (a final problem, answered 422).</summary>
    public static async Task<StepPreparation> CaptureOrRefuseAsync(
        KubernetesApi api, KubeResource resource, string cluster, string ns, string name, object target,
        Func<KubeObject, Task<StepPreparation>> capture, CancellationToken cancellationToken)
    {
        try
        {
            return await api.GetAsync(cluster, resource, ns, name, cancellationToken) is { } found
                ? await capture(found)
                : StepPreparation.Failed($"{target} does not exist: there is nothing to roll back to; register the step with revert.mode manual, or leave it out", transient: false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return StepPreparation.Failed($"{target}: {KubernetesApi.Describe(e)}", transient: !KubeTemplates.IsAnswer(e));
        }
    }

    /// <summary>
    /// Reads the object a step names as a <see cref="TargetState"/> (the three-state rule's
    /// <c>after</c> and <c>current</c>). Missing or refused is final; an API fault is transient.
    /// </summary>
    public static async Task<TargetObservation> ObserveAsync(
        KubernetesApi api, KubeResource resource, string cluster, string ns, string name, object target,
        Func<KubeObject, TargetState> state, CancellationToken cancellationToken)
    {
        try
        {
            return await api.GetAsync(cluster, resource, ns, name, cancellationToken) is { } found
                ? new TargetObservation(state(found)) { Version = found.Metadata.ResourceVersion }
                : TargetObservation.Failed($"{target} no longer exists", transient: false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return TargetObservation.Failed($"{target}: {KubernetesApi.Describe(e)}", transient: !KubeTemplates.IsAnswer(e));
        }
    }

    /// <summary>
    /// Runs a rehearsal (reads and server-side dry runs only): whatever the API answers instead,
    /// a refusal or a fault left after the in-call retries, the revert would meet too, so it is
    /// <c>fails</c> with the answer.
    /// </summary>
    public static async Task<StepRehearsal> RehearseAsync(object target, Func<Task<StepRehearsal>> rehearse)
    {
        try
        {
            return await rehearse();
        }
        catch (Exception e) when (e is HttpOperationException or HttpRequestException)
        {
            return StepRehearsal.Fails($"{target}: {KubernetesApi.Describe(e)}");
        }
    }

    /// <summary>
    /// The resourceVersion a revert's first write carries as its precondition: the one the
    /// three-state rule judged, else the one the executor just read.
    /// </summary>
    public static string VersionToWrite(StepRevertRequest request, KubeObject read) =>
        request.ObservedVersion ?? read.Metadata.ResourceVersion;

    /// <summary>
    /// Runs a revert: an API refusal is a failed revert (an outcome); a fault left after the
    /// in-call retries throws <see cref="StepUnavailableException"/>, so the Durable retry runs the step again.
    /// </summary>
    public static async Task<StepRevertResult> RevertAsync(object target, Func<Task<StepRevertResult>> revert, CancellationToken cancellationToken)
    {
        try
        {
            return await revert();
        }
        catch (TargetChangedException)
        {
            throw; // nothing written: the revert reads and judges again
        }
        catch (Exception e) when (KubeTemplates.IsAnswer(e))
        {
            return StepRevertResult.Failed($"{target}: {KubernetesApi.Describe(e)}");
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw new StepUnavailableException($"{target}: {KubernetesApi.Describe(e)}", e);
        }
    }
}
