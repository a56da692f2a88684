using System.Text.Json.Nodes;
using k8s.Models;
using RollbackFunctions.Core.Executors;

namespace RollbackFunctions.Infrastructure.Executors.Kubernetes;

/// <summary>What an <c>argocdApplication</c> revert syncs to: one revision, or one per source of a multi-source Application.</summary>
public sealed record ArgoRevisions(string? Revision, IReadOnlyList<string>? Revisions)
{
    /// <summary>What the step captured at registration, or null.</summary>
    public static ArgoRevisions? Captured(JsonObject? captured) =>
        captured?["revisions"] is JsonArray { Count: > 0 } list ? new ArgoRevisions(null, list.Select(r => (string)r!).ToList())
        : (string?)captured?["revision"] is { Length: > 0 } revision ? new ArgoRevisions(revision, null)
        : null;

    /// <summary>Whether a sync (<c>status.sync</c>, <c>operation.sync</c>) names exactly these revisions.</summary>
    public bool Matches(JsonNode? sync) => Revisions is null
        ? Revision is not null && (string?)sync?["revision"] == Revision
        : sync?["revisions"] is JsonArray named && named.Select(r => (string?)r).SequenceEqual(Revisions);

    /// <summary>The <c>sync</c> of an operation, as <c>argocd app sync --revision</c> (or <c>--revisions</c>) writes it.</summary>
    public JsonObject ToSync() => Revisions is null
        ? new JsonObject { ["revision"] = Revision }
        : new JsonObject { ["revisions"] = new JsonArray(Revisions.Select(r => (JsonNode)r).ToArray()) };

    public override string ToString() => Revisions is null ? Short(Revision!) : string.Join(", ", Revisions.Select(Short));

    private static string Short(string revision) => revision.Length > 12 ? revision[..12] : revision;
}

/// <summary>
/// One <c>argocdApplication</c> revert. Another operation still running (auto-sync retrying the bad
/// revision: holding auto-sync does not stop it) is terminated first, as <c>argocd app terminate-op</c>
/// does: <c>status.operationState.phase</c> set to Terminating on the Application as read (its
/// resourceVersion a precondition; a conflict re-reads), after which the controller ends it Failed
/// and removes it. Then this
/// rollback's own sync operation, marked <c>initiatedBy.username: rollbackfunctions:{rollbackId}</c>;
/// only that operation's result is this revert's result, so a retry recognises it and another
/// operation's failure is never reported as its own. An operation already syncing to the captured
/// revision, whoever started it, is waited for, not terminated.
/// </summary>
/// <remarks>
/// Only over what was judged: the first write (a terminate or the sync) is refused when the
/// Application changed since the three-state read (<paramref name="judgedVersion"/>); the sync
/// patch always carries the resourceVersion read, so the API server answers 409 to a change in between.
/// </remarks>
internal sealed class ArgoApplicationSync(KubernetesApi api, ApplicationTarget target, ArgoRevisions wanted, string rollbackId, TimeSpan pollInterval, TimeProvider clock, string? judgedVersion = null)
{
    private string? firstWriteVersion = judgedVersion;

    private readonly string initiator = $"rollbackfunctions:{rollbackId}";
    private readonly List<string> actions = [];

    public async Task<StepRevertResult> RunAsync(DateTimeOffset waitUntil, CancellationToken cancellationToken)
    {
        while (true)
        {
            var application = await api.GetAsync(target.Cluster, KubeResource.ArgoApplication, target.Namespace, target.Name, cancellationToken);
            if (application is null)
            {
                return StepRevertResult.Failed($"{target} no longer exists{Done()}");
            }

            var state = application["status"]?["operationState"];
            if (application["operation"] is JsonObject running)
            {
                if (!wanted.Matches(running["sync"]) && state is not null && (string?)state["phase"] != "Terminating")
                {
                    if (firstWriteVersion is { } judged && judged != application.Metadata.ResourceVersion)
                    {
                        throw new TargetChangedException($"{target} changed since resourceVersion {judged} was read (now {application.Metadata.ResourceVersion})");
                    }

                    firstWriteVersion = null;
                    await TerminateAsync(cancellationToken);
                }
            }
            else if (IsAt(application))
            {
                return StepRevertResult.Reverted(actions.Count == 0
                    ? $"{target} is already Synced and Healthy at {wanted}; nothing changed"
                    : $"{target}: {string.Join("; ", actions)}; synced to {wanted} and Healthy");
            }
            else if (!IsMine(state))
            {
                var operation = new JsonObject
                {
                    ["operation"] = new JsonObject { ["initiatedBy"] = new JsonObject { ["username"] = initiator }, ["sync"] = wanted.ToSync() },
                };
                await api.PatchAtVersionAsync(target.Cluster, KubeResource.ArgoApplication, target.Namespace, target.Name, new V1Patch(operation.ToJsonString(), V1Patch.PatchType.MergePatch),
                    firstWriteVersion ?? application.Metadata.ResourceVersion, cancellationToken);
                firstWriteVersion = null;
                actions.Add($"requested a sync to {wanted}");
                continue;
            }
            else if ((string?)state?["phase"] is "Failed" or "Error")
            {
                return StepRevertResult.Failed($"Argo CD could not sync {target} to {wanted}: {(string?)state?["message"]}{Done()}");
            }

            if (clock.GetUtcNow() >= waitUntil)
            {
                return StepRevertResult.TimedOut($"{target}: {Waiting(application)}{Done()}");
            }

            await Task.Delay(pollInterval, clock, cancellationToken);
        }
    }

    /// <summary>Sets the running operation Terminating, unless it changed since it was read.</summary>
    private async Task TerminateAsync(CancellationToken cancellationToken)
    {
        string? terminated = null;
        await api.PatchIfUnchangedAsync(target.Cluster, KubeResource.ArgoApplication, target.Namespace, target.Name, current =>
        {
            if (current["operation"] is not JsonObject operation || wanted.Matches(operation["sync"])
                || current["status"]?["operationState"] is not JsonObject state || (string?)state["phase"] == "Terminating")
            {
                return null;
            }

            terminated = $"{Initiator(operation)}: sync to {Describe(operation["sync"])}";
            return new JsonObject { ["status"] = new JsonObject { ["operationState"] = new JsonObject { ["phase"] = "Terminating" } } };
        }, cancellationToken);
        if (terminated is not null)
        {
            actions.Add($"terminated the running operation ({terminated}), as argocd app terminate-op does");
        }
    }

    /// <summary>The last operation was this rollback's sync to the captured revision.</summary>
    private bool IsMine(JsonNode? state) =>
        (string?)state?["operation"]?["initiatedBy"]?["username"] == initiator && wanted.Matches(state?["operation"]?["sync"]);

    /// <summary>The last sync ran at the captured revision and the Application is Healthy.</summary>
    private bool IsAt(KubeObject application) =>
        wanted.Matches(application["status"]?["sync"])
        && (string?)application["status"]?["sync"]?["status"] == "Synced"
        && (string?)application["status"]?["health"]?["status"] == "Healthy";

    private string Waiting(KubeObject application)
    {
        var state = application["status"]?["operationState"];
        var operation = application["operation"];
        var whose = operation is null ? "no operation running" : $"operation of {Initiator(operation)} (sync to {Describe(operation["sync"])}) is {(string?)state?["phase"] ?? "not started"}: {(string?)state?["message"]}";
        return $"not back at {wanted} yet: {whose}; health {(string?)application["status"]?["health"]?["status"] ?? "unknown"}";
    }

    private string Done() => actions.Count == 0 ? "" : $" (done: {string.Join("; ", actions)})";

    private static string Initiator(JsonNode operation) =>
        (string?)operation["initiatedBy"]?["username"] ?? ((bool?)operation["initiatedBy"]?["automated"] == true ? "auto-sync" : "an unknown initiator");

    private static string Describe(JsonNode? sync) =>
        (string?)sync?["revision"] ?? (sync?["revisions"] is JsonArray list ? string.Join(", ", list.Select(r => (string?)r)) : "the target revision");
}
