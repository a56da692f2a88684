using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace RollbackFunctions.Core.Deploys;

/// <summary>Body of <c>POST /api/deploys</c>, as CI sends it.</summary>
public sealed record DeployRegistration
{
    public string? DeployId { get; init; }

    [JsonRequired] public string Service { get; init; } = "";
    [JsonRequired] public string Environment { get; init; } = "";
    [JsonRequired] public string Version { get; init; } = "";
    public string? PreviousVersion { get; init; }
    public Dictionary<string, string>? Labels { get; init; }

    /// <summary>Bake window after completion, in minutes.</summary>
    public int? WatchMinutes { get; init; }

    [JsonRequired] public List<StepRegistration> Steps { get; init; } = [];

    /// <summary>Rollback conditions; stored now, evaluated by verification.</summary>
    public JsonElement? Conditions { get; init; }
}

/// <summary>One step of a <see cref="DeployRegistration"/>.</summary>
public sealed record StepRegistration
{
    [JsonRequired] public string Id { get; init; } = "";
    [JsonRequired] public string Kind { get; init; } = "";
    public List<string>? DependsOn { get; init; }
    public JsonObject? Params { get; init; }
    public RevertRegistration? Revert { get; init; }
}

/// <summary>How a step may be reverted.</summary>
public sealed record RevertRegistration
{
    public RevertMode Mode { get; init; } = RevertMode.Auto;
}
