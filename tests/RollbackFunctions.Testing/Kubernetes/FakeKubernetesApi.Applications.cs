using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;
using RollbackFunctions.Infrastructure.Executors;

namespace RollbackFunctions.Testing;

/// <summary>
/// Argo CD's application controller for sync operations, as <c>controller/appcontroller.go</c>
/// behaves: an <c>operation</c> becomes <c>status.operationState</c> (which keeps the operation),
/// runs for <see cref="RolloutTime"/>, and ends Succeeded at the requested revision (or revisions,
/// for a multi-source Application) or Failed, the <c>operation</c> removed. An operation whose
/// <c>operationState.phase</c> was set to Terminating (what <c>argocd app terminate-op</c> writes, with
/// an update of the whole object) ends Failed with "Operation terminated". A failing sync with a retry
/// limit below zero retries for ever, as auto-sync with <c>retry.limit: -1</c> does.
/// </summary>
public sealed partial class FakeKubernetesApi
{
    /// <summary>Applications whose next sync fails, with the message Argo CD would give.</summary>
    public ConcurrentDictionary<string, string> ApplicationSyncFails { get; } = new();

    /// <summary>Revisions whose sync fails every time (a hook that always fails), with the message.</summary>
    public ConcurrentDictionary<string, string> RevisionSyncFails { get; } = new();

    /// <summary>
    /// Applications an ApplicationSet generates: after every change its controller puts the
    /// template's <c>syncPolicy.automated</c> back (annotations it does not manage are kept).
    /// </summary>
    public ConcurrentDictionary<string, bool> GeneratedByApplicationSet { get; } = new();

    /// <summary>What a parent Application's self-heal does to a child it manages: the manifest's auto-sync back on.</summary>
    public void EnableAutoSync(string ns, string name)
    {
        lock (gate)
        {
            var application = objects[Key(Argo, ns, "applications", name)];
            application["spec"]!["syncPolicy"] = SyncPolicy(automated: true);
            Bump(application);
        }
    }

    /// <summary>The ApplicationSet controller's reaction to a change of an Application it generates.</summary>
    private void ReconcileApplicationSet(string name, JsonObject application)
    {
        if (GeneratedByApplicationSet.ContainsKey(name) && application["spec"]?["syncPolicy"]?["automated"] is null)
        {
            application["spec"]!["syncPolicy"] = SyncPolicy(automated: true);
            Bump(application);
        }
    }

    /// <summary>An Argo CD Application Synced and Healthy at <paramref name="revision"/>, auto-syncing (self-heal, prune) or not.</summary>
    public void SeedApplication(string ns, string name, string revision, bool automated = true)
    {
        SeedCustomObject(Argo, "applications", "Application", ns, name, new JsonObject
        {
            ["project"] = "default",
            ["source"] = new JsonObject { ["repoURL"] = "https://github.com/acme/deploy-config.git", ["path"] = name, ["targetRevision"] = "main" },
            ["syncPolicy"] = SyncPolicy(automated),
        });
        SetApplicationRevision(ns, name, revision);
    }

    /// <summary>A multi-source Application (<c>spec.sources</c>), Synced and Healthy at one revision per source.</summary>
    public void SeedMultiSourceApplication(string ns, string name, params string[] revisions)
    {
        SeedCustomObject(Argo, "applications", "Application", ns, name, new JsonObject
        {
            ["project"] = "default",
            ["sources"] = new JsonArray(revisions.Select((_, i) => (JsonNode)new JsonObject
            {
                ["repoURL"] = $"https://github.com/acme/source-{i}.git", ["path"] = name, ["targetRevision"] = "main",
            }).ToArray()),
            ["syncPolicy"] = SyncPolicy(automated: false),
        });
        SetApplicationRevisions(ns, name, revisions);
    }

    /// <summary>What a GitOps deploy does: Argo CD synced the Application to a new commit.</summary>
    public void SetApplicationRevision(string ns, string name, string revision) => SetSynced(ns, name, revision, null);

    /// <summary>The same for a multi-source Application: one revision per source.</summary>
    public void SetApplicationRevisions(string ns, string name, params string[] revisions) => SetSynced(ns, name, null, revisions);

    /// <summary>Auto-sync started syncing <paramref name="revision"/> and retries it for ever while it fails.</summary>
    public void StartAutoSync(string ns, string name, string revision)
    {
        lock (gate)
        {
            var application = objects[Key(Argo, ns, "applications", name)];
            application["operation"] = new JsonObject
            {
                ["initiatedBy"] = new JsonObject { ["automated"] = true },
                ["sync"] = new JsonObject { ["revision"] = revision },
                ["retry"] = new JsonObject { ["limit"] = -1 },
            };
            Bump(application);
        }
    }

    private static JsonObject SyncPolicy(bool automated) =>
        automated ? new JsonObject { ["automated"] = new JsonObject { ["prune"] = true, ["selfHeal"] = true } } : new JsonObject();

    private void SetSynced(string ns, string name, string? revision, string[]? revisions)
    {
        lock (gate)
        {
            var application = objects[Key(Argo, ns, "applications", name)];
            var sync = new JsonObject { ["status"] = "Synced" };
            if (revision is not null)
            {
                sync["revision"] = revision;
            }
            else
            {
                sync["revisions"] = new JsonArray(revisions!.Select(r => (JsonNode)r).ToArray());
            }

            var status = application["status"] as JsonObject ?? [];
            status["sync"] = sync;
            status["health"] = new JsonObject { ["status"] = "Healthy" };
            AddHistory(status, sync);
            application["status"] = status;
            Bump(application);
        }
    }

    /// <summary>The controller's progress on the Application's operation, as a reader sees it now.</summary>
    private void AdvanceApplication(string ns, string name, JsonObject application)
    {
        if (application["operation"] is not JsonObject operation)
        {
            return;
        }

        var key = Key(Argo, ns, "applications", name);
        var status = application["status"] as JsonObject ?? [];
        application["status"] = status;
        if ((string?)status["operationState"]?["phase"] == "Terminating")
        {
            Finish(key, application, new JsonObject { ["phase"] = "Failed", ["message"] = "Operation terminated" });
            return;
        }

        if (!rolloutDoneAt.TryGetValue(key, out var due))
        {
            rolloutDoneAt[key] = DateTimeOffset.UtcNow + RolloutTime;
            status["operationState"] = new JsonObject { ["phase"] = "Running", ["operation"] = operation.DeepClone(), ["startedAt"] = Now() };
            return;
        }

        if (due > DateTimeOffset.UtcNow)
        {
            return;
        }

        var revision = (string?)operation["sync"]?["revision"];
        if (revision is not null && RevisionSyncFails.TryGetValue(revision, out var hookFailure) && JsonNumbers.Long(operation["retry"]?["limit"]) < 0)
        {
            // Failed, retried: still Running, with the attempt in the message.
            rolloutDoneAt[key] = DateTimeOffset.UtcNow + RolloutTime;
            status["operationState"]!["message"] = $"{hookFailure}. Retrying attempt #{JsonNumbers.Long(status["operationState"]!["retryCount"]) + 1}";
            status["operationState"]!["retryCount"] = JsonNumbers.Long(status["operationState"]!["retryCount"]) + 1;
            return;
        }

        if (ApplicationSyncFails.TryGetValue(name, out var message) || (revision is not null && RevisionSyncFails.TryGetValue(revision, out message)))
        {
            Finish(key, application, new JsonObject { ["phase"] = "Failed", ["message"] = message });
            return;
        }

        var sync = new JsonObject { ["status"] = "Synced" };
        if (operation["sync"]?["revisions"] is JsonArray revisions)
        {
            sync["revisions"] = revisions.DeepClone();
        }
        else
        {
            sync["revision"] = revision;
        }

        Finish(key, application, new JsonObject { ["phase"] = "Succeeded", ["syncResult"] = sync.DeepClone() });
        status["sync"] = sync;
        status["health"] = new JsonObject { ["status"] = "Healthy" };
        AddHistory(status, sync);
    }

    /// <summary>
    /// As Argo CD's controller after every sync: a <c>status.history</c> entry (id, revision or
    /// revisions, deployedAt) appended, the oldest dropped past <c>revisionHistoryLimit</c> (10).
    /// </summary>
    private static void AddHistory(JsonObject status, JsonObject sync)
    {
        var history = status["history"] as JsonArray ?? [];
        var entry = new JsonObject { ["id"] = history.Count == 0 ? 0 : JsonNumbers.Long(history[^1]!["id"]) + 1, ["deployedAt"] = Now() };
        if (sync["revisions"] is JsonArray revisions)
        {
            entry["revisions"] = revisions.DeepClone();
        }
        else
        {
            entry["revision"] = sync["revision"]?.DeepClone();
        }

        history.Add(entry);
        while (history.Count > 10)
        {
            history.RemoveAt(0);
        }

        status["history"] = history;
    }

    /// <summary>The operation is over: its state kept (with the operation), the operation removed.</summary>
    private void Finish(string key, JsonObject application, JsonObject state)
    {
        rolloutDoneAt.TryRemove(key, out _);
        state["operation"] = application["operation"]!.DeepClone();
        state["finishedAt"] = Now();
        application["status"]!["operationState"] = state;
        application.Remove("operation");
    }

    private static string Now() => DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
}
