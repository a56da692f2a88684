using System.Text.Json.Nodes;

namespace RollbackFunctions.Core.Executors;

/// <summary>A configured target a step acts on, and the environments configured for it.</summary>
/// <param name="Name">What it is, for the refusal: <c>database orders</c>.</param>
/// <param name="Setting">Where its environments are configured: <c>Rollback:Executors:Sql:Databases:orders:Environments</c>.</param>
/// <param name="Environments">The environments it serves; empty when none are configured.</param>
public sealed record StepTarget(string Name, string Setting, IReadOnlyList<string> Environments);

/// <summary>
/// The configured targets steps name (a cluster, a database, a Terraform workspace, a git
/// repository), so the registration can check that each serves the deploy's environment
/// (SAFETY.md 9): a <c>ci</c> key for staging must not reach the production database.
/// </summary>
public interface IStepTargets
{
    /// <summary>The configured target a step of <paramref name="kind"/> acts on; null when it names none (or none that is configured: its params are refused elsewhere).</summary>
    StepTarget? TargetOf(string kind, JsonObject parameters);

    /// <summary>A configured cluster by name (a GitOps object's); null when not configured.</summary>
    StepTarget? Cluster(string cluster);
}
