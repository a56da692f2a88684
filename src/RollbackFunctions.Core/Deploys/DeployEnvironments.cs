using RollbackFunctions.Core.Executors;
using RollbackFunctions.Core.Policy;

namespace RollbackFunctions.Core.Deploys;

/// <summary>What a registration's environment allows, decided before anything is read or stored.</summary>
/// <param name="Environment">The environment, or null when environments are declared and it is not one of them.</param>
/// <param name="Problems">Per JSON path, why the environment or a step's target is refused; empty when none is.</param>
public sealed record EnvironmentCheck(string? Environment, IReadOnlyDictionary<string, string[]> Problems);

/// <summary>
/// The one home of the environment rules at registration (SAFETY.md 9): environments are declared,
/// not spelled (<c>Rollback:Policy:Environments</c>), and every target a step or GitOps object names
/// must serve the deploy's environment.
/// </summary>
public sealed class DeployEnvironments(PolicyOptions policy, IStepTargets targets)
{
    /// <summary>The environment as declared (case aside), or null when environments are declared and this is not one of them.</summary>
    public string? Declared(string? environment) => policy.DeclaredEnvironment(environment);

    /// <summary>A sentence for an environment that is not declared.</summary>
    public string Undeclared(string? environment)
    {
        var declared = policy.Environments.Keys.Order(StringComparer.Ordinal).ToList();
        return $"'{environment}' is not a declared environment; declared in Rollback:Policy:Environments: {string.Join(", ", declared)}";
    }

    public EnvironmentCheck Check(DeployRegistration registration)
    {
        if (Declared(registration.Environment) is not { } environment)
        {
            return new(null, new Dictionary<string, string[]> { ["environment"] = [Undeclared(registration.Environment)] });
        }

        var problems = new Dictionary<string, string[]>();
        var steps = registration.Steps ?? [];
        for (var i = 0; i < steps.Count; i++)
        {
            // A manual step is never acted on: its target is only a note for the people who revert it.
            if (steps[i] is { Kind: { } kind } step && step.Revert?.Mode != RevertMode.Manual
                && Refusal(targets.TargetOf(kind, step.Params ?? []), environment) is { } refused)
            {
                problems[$"steps[{i}]"] = [$"step '{step.Id}': {refused}"];
            }
        }

        var gitops = registration.Gitops ?? [];
        for (var i = 0; i < gitops.Count; i++)
        {
            if (gitops[i] is { Cluster: { } cluster } && Refusal(targets.Cluster(cluster), environment) is { } refused)
            {
                problems[$"gitops[{i}]"] = [refused];
            }
        }

        return new(environment, problems);
    }

    /// <summary>
    /// A target serves the environments configured for it. One with none configured serves every
    /// environment while none are declared (a single-environment installation), and none once they
    /// are: declaring environments means saying which of them each target belongs to.
    /// </summary>
    private string? Refusal(StepTarget? target, string environment) =>
        target is null ? null
        : target.Environments.Count == 0 ? (policy.DeclaresEnvironments ? $"{target.Name} serves no environment yet; list the ones it serves in {target.Setting}" : null)
        : target.Environments.Contains(environment, StringComparer.OrdinalIgnoreCase) ? null
        : $"{target.Name} does not serve environment '{environment}' (it serves {string.Join(", ", target.Environments)}: {target.Setting})";
}
