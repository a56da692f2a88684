using System.Globalization;
using System.Text.Json.Nodes;
using RollbackFunctions.Infrastructure.Executors;

namespace RollbackFunctions.Testing;

/// <summary>
/// Argo Rollouts' controller for canary Rollouts, as argo-rollouts' <c>rollout/canary.go</c> and
/// <c>rollout/sync.go</c> behave: a new pod template resets the status (pause conditions, abort and
/// <c>promoteFull</c> cleared, step 0), except that a template equal to the stable ReplicaSet's skips
/// every step ("Rollback to stable ReplicaSets"); the steps walk (<c>setWeight</c> takes
/// <see cref="RolloutTime"/>, <c>pause: {}</c> waits until promoted); <c>status.promoteFull</c> skips
/// the remaining steps and pauses; <c>status.abort</c> sends traffic back to stable and leaves the
/// Rollout Degraded until its template changes or it is fully promoted. After the last step the canary
/// becomes stable (<c>status.stableRS</c>) and the Rollout Healthy.
/// </summary>
public sealed partial class FakeKubernetesApi
{
    /// <summary>An Argo Rollout, Healthy on <paramref name="stableImage"/>; canary steps default to 20 % then an indefinite pause.</summary>
    public void SeedRollout(string ns, string name, string stableImage, JsonArray? steps = null)
    {
        lock (gate)
        {
            var hash = Hash(Template(name, stableImage));
            var metadata = Metadata(ns, name, new JsonObject { ["app"] = name });
            metadata["annotations"] = new JsonObject { ["rollout.argoproj.io/revision"] = "1" };
            objects[Key(Argo, ns, "rollouts", name)] = new JsonObject
            {
                ["apiVersion"] = "argoproj.io/v1alpha1",
                ["kind"] = "Rollout",
                ["metadata"] = metadata,
                ["spec"] = new JsonObject
                {
                    ["replicas"] = 3,
                    ["selector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["app"] = name } },
                    ["template"] = Template(name, stableImage),
                    ["strategy"] = new JsonObject
                    {
                        ["canary"] = new JsonObject { ["steps"] = steps ?? new JsonArray(new JsonObject { ["setWeight"] = 20 }, new JsonObject { ["pause"] = new JsonObject() }) },
                    },
                },
                ["status"] = new JsonObject
                {
                    ["phase"] = "Healthy",
                    ["observedGeneration"] = "1",
                    ["stableRS"] = hash,
                    ["currentPodHash"] = hash,
                    ["currentStepIndex"] = (steps?.Count ?? 2),
                },
            };
        }
    }

    /// <summary>What CI's deploy does to a Rollout: a new template, through the controller (the canary starts walking its steps).</summary>
    public void StartCanary(string ns, string name, string image)
    {
        lock (gate)
        {
            var key = Key(Argo, ns, "rollouts", name);
            var after = objects[key].DeepClone().AsObject();
            after["spec"]!["template"]!["spec"]!["containers"]![0]!["image"] = image;
            Store(Argo, ns, "rollouts", name, objects[key], after);
        }
    }

    /// <summary>The canary passed every step (someone promoted it): the deploy's version is stable and the Rollout Healthy.</summary>
    public void CompleteRollout(string ns, string name)
    {
        lock (gate)
        {
            var stored = objects[Key(Argo, ns, "rollouts", name)];
            Promote(Key(Argo, ns, "rollouts", name), stored);
            Bump(stored);
        }
    }

    private void OnRolloutTemplateChanged(string key, JsonObject rollout)
    {
        var status = rollout["status"] as JsonObject ?? [];
        rollout["status"] = status;
        var hash = Hash(rollout["spec"]!["template"]!);
        status.Remove("abort");
        status.Remove("pauseConditions");
        status["promoteFull"] = false;
        status["currentPodHash"] = hash;
        status["observedGeneration"] = JsonNumbers.Long(rollout["metadata"]!["generation"], 1).ToString(CultureInfo.InvariantCulture);
        if ((string?)status["stableRS"] == hash)
        {
            Promote(key, rollout);
            return;
        }

        status["currentStepIndex"] = 0;
        status["phase"] = "Progressing";
        status["message"] = "more replicas need to be updated";
        rolloutDoneAt[key] = DateTimeOffset.UtcNow + RolloutTime;
    }

    /// <summary>What <c>kubectl argo rollouts abort</c> and <c>promote --full</c> write to <c>/status</c>, as the controller reacts.</summary>
    private void ReactToRolloutStatus(string key, JsonObject rollout)
    {
        var status = rollout["status"]!.AsObject();
        var canaryRunning = (string?)status["currentPodHash"] != (string?)status["stableRS"];
        if ((bool?)status["promoteFull"] == true)
        {
            status.Remove("abort");
            status.Remove("pauseConditions");
            if (!canaryRunning)
            {
                status["promoteFull"] = false; // sync.go: promoteFull only lasts while current != stable
                return;
            }

            status["phase"] = "Progressing";
            status["message"] = "more replicas need to be updated";
            rolloutDoneAt[key] = DateTimeOffset.UtcNow + RolloutTime;
        }
        else if ((bool?)status["abort"] == true)
        {
            // Traffic back to the stable ReplicaSet, whatever version that is; the canary scales down.
            rolloutDoneAt.TryRemove(key, out _);
            status["currentStepIndex"] = canaryRunning ? 0 : StepsOf(rollout).Count;
            status["phase"] = "Degraded";
            status["message"] = $"RolloutAborted: Rollout aborted update to revision {rollout["metadata"]?["annotations"]?["rollout.argoproj.io/revision"] ?? "2"}";
        }
    }

    /// <summary>The status a reader sees now: the steps walked as far as time allows.</summary>
    private void AdvanceRollout(string key, JsonObject rollout)
    {
        var status = rollout["status"] as JsonObject ?? [];
        if ((bool?)status["abort"] == true || (string?)status["currentPodHash"] == (string?)status["stableRS"]
            || !rolloutDoneAt.TryGetValue(key, out var due))
        {
            return;
        }

        var steps = StepsOf(rollout);
        while (true)
        {
            var index = (int)JsonNumbers.Long(status["currentStepIndex"]);
            if ((bool?)status["promoteFull"] == true || index >= steps.Count)
            {
                if (due <= DateTimeOffset.UtcNow)
                {
                    Promote(key, rollout);
                }

                return;
            }

            if (steps[index]?["pause"] is JsonObject pause && pause["duration"] is null)
            {
                // An indefinite pause: only a promotion (or an abort, or a new template) moves it on.
                rolloutDoneAt.TryRemove(key, out _);
                status["phase"] = "Paused";
                status["message"] = "CanaryPauseStep";
                status["pauseConditions"] = new JsonArray(new JsonObject { ["reason"] = "CanaryPauseStep", ["startTime"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture) });
                return;
            }

            if (due > DateTimeOffset.UtcNow)
            {
                return;
            }

            status["currentStepIndex"] = index + 1;
            due += steps[index]?["pause"]?["duration"] is { } duration ? PauseDuration(duration) : RolloutTime;
            rolloutDoneAt[key] = due;
        }
    }

    /// <summary>The canary becomes stable: argo-rollouts' <c>promoteStable</c>.</summary>
    private void Promote(string key, JsonObject rollout)
    {
        var status = rollout["status"]!.AsObject();
        rolloutDoneAt.TryRemove(key, out _);
        status["stableRS"] = status["currentPodHash"]?.DeepClone();
        status["currentStepIndex"] = StepsOf(rollout).Count;
        status["promoteFull"] = false;
        status.Remove("pauseConditions");
        status.Remove("abort");
        status["phase"] = "Healthy";
        status["message"] = "";
    }

    private static JsonArray StepsOf(JsonObject rollout) => rollout["spec"]?["strategy"]?["canary"]?["steps"] as JsonArray ?? [];

    /// <summary>Argo's pause duration: seconds as a number, or "30s", "1m", "1h".</summary>
    private static TimeSpan PauseDuration(JsonNode duration)
    {
        var text = duration.ToString().Trim('"');
        return text[^1] switch
        {
            'h' => TimeSpan.FromHours(double.Parse(text[..^1], CultureInfo.InvariantCulture)),
            'm' => TimeSpan.FromMinutes(double.Parse(text[..^1], CultureInfo.InvariantCulture)),
            's' => TimeSpan.FromSeconds(double.Parse(text[..^1], CultureInfo.InvariantCulture)),
            _ => TimeSpan.FromSeconds(double.Parse(text, CultureInfo.InvariantCulture)),
        };
    }
}
