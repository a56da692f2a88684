using System.Text.Json.Nodes;
using RollbackFunctions.Core.Deploys;

namespace RollbackFunctions.Testing;

/// <summary>Builds deploy records for tests.</summary>
public static class DeployBuilder
{
    public static readonly DateTimeOffset T0 = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);

    public static DeployStep Step(string id, StepStatus status = StepStatus.Applied, RevertMode mode = RevertMode.Auto, params string[] dependsOn) =>
        new(id, "webhook", dependsOn, new JsonObject { ["revertUrl"] = $"http://127.0.0.1/{id}" }, mode, status, null);

    /// <summary>schema, then config and flags (parallel), then rollout: the diamond of the foundation issue.</summary>
    public static IReadOnlyList<DeployStep> Diamond(StepStatus status = StepStatus.Applied) =>
    [
        Step("schema", status),
        Step("config", status, dependsOn: "schema"),
        Step("flags", status, dependsOn: "schema"),
        Step("rollout", status, dependsOn: ["config", "flags"]),
    ];

    public static DeployRecord Record(
        string id = "checkout-142",
        string service = "checkout",
        string environment = "prod",
        DateTimeOffset? registeredAt = null,
        DeployState state = DeployState.Active,
        IReadOnlyDictionary<string, string>? labels = null,
        IReadOnlyList<DeployStep>? steps = null) => new()
        {
            DeployId = id,
            Service = service,
            Environment = environment,
            Version = "1.4.2",
            PreviousVersion = "1.4.1",
            Labels = labels ?? new Dictionary<string, string>(),
            WatchMinutes = 30,
            Steps = steps ?? Diamond(),
            State = state,
            RegisteredAt = registeredAt ?? T0,
            RegistrationDigest = "digest",
        };
}
