using RollbackFunctions.Core.Ports;
using RollbackFunctions.Core.Executors;
using RollbackFunctions.Core.Planning;

namespace RollbackFunctions.Core.Deploys;

/// <summary>
/// Checks a registration before anything is stored. Every problem is reported at once, keyed by
/// a JSON path, so CI fixes its payload in one round.
/// </summary>
/// <param name="executors">The step kinds this deployment knows.</param>
/// <param name="sources">The metric sources conditions may name.</param>
/// <param name="gitOps">Checks <c>gitops[]</c> against this deployment (configured clusters); none in tests that need no GitOps.</param>
public sealed partial class RegistrationValidator(StepExecutorCatalog executors, IEnumerable<IMetricSource> sources, IGitOpsControllers? gitOps = null)
{
    private readonly SourceFacts sourceFacts = SourceFacts.Of(sources);

    /// <summary>Returns the problems, empty when the registration is valid.</summary>
    public IReadOnlyDictionary<string, string[]> Validate(DeployRegistration registration)
    {
        var problems = new Dictionary<string, List<string>>();
        void Add(string path, string message) =>
            (problems.TryGetValue(path, out var list) ? list : problems[path] = []).Add(message);

        if (registration.DeployId is not null && !Identifiers.IsValid(registration.DeployId))
        {
            Add("deployId", Identifiers.Problem);
        }

        RequireText(registration.Service, "service", Add);
        RequireText(registration.Environment, "environment", Add);
        RequireText(registration.Version, "version", Add);
        if (registration.WatchMinutes is < 0 or > DeployDefaults.MaxWatchMinutes)
        {
            Add("watchMinutes", $"must be between 0 and {DeployDefaults.MaxWatchMinutes}");
        }

        if (registration.Labels is { Count: > MaxLabels })
        {
            Add("labels", $"at most {MaxLabels} labels");
        }

        foreach (var (key, value) in registration.Labels ?? [])
        {
            if (string.IsNullOrWhiteSpace(key) || value is null)
            {
                Add("labels", "label names must be non-empty and values must be strings");
            }
            else if (key.Length > MaxLabelName || value.Length > MaxLabelValue || key.Any(char.IsControl) || value.Any(char.IsControl))
            {
                // Labels are compared with alert labels and shown in pages: short, printable text.
                Add("labels", $"label '{(key.Length > MaxLabelName ? key[..MaxLabelName] + "…" : key)}': names up to {MaxLabelName} and values up to {MaxLabelValue} characters, no control characters");
            }
        }

        ValidateSteps(registration.Steps ?? [], Add);
        ValidateGitOps(registration.Gitops ?? [], Add);
        ValidateArtifacts(registration.Artifacts ?? [], Add);
        if (registration.Conditions is { } conditions)
        {
            ConditionsValidator.Validate(conditions, sourceFacts, Add);
        }
        return problems.ToDictionary(p => p.Key, p => p.Value.ToArray());
    }

    private static void ValidateArtifacts(IReadOnlyList<Artifact> artifacts, Action<string, string> add)
    {
        if (artifacts.Count > MaxArtifacts)
        {
            add("artifacts", $"at most {MaxArtifacts} artifacts");
        }

        for (var i = 0; i < artifacts.Count; i++)
        {
            if (artifacts[i] is not { } artifact)
            {
                add($"artifacts[{i}]", "must be an object");
                continue;
            }

            if (string.IsNullOrWhiteSpace(artifact.Name) || artifact.Name.Length > MaxLabelName || artifact.Name.Any(char.IsControl))
            {
                add($"artifacts[{i}].name", $"must be 1 to {MaxLabelName} printable characters");
            }

            if (!Artifact.IsDigest(artifact.Digest))
            {
                add($"artifacts[{i}].digest", "must be sha256: followed by 64 lowercase hex digits");
            }
        }
    }

    private void ValidateGitOps(IReadOnlyList<GitOpsTarget> targets, Action<string, string> add)
    {
        if (targets.Count > MaxGitOpsTargets)
        {
            add("gitops", $"at most {MaxGitOpsTargets} objects");
        }

        for (var i = 0; i < targets.Count; i++)
        {
            var (target, at) = (targets[i], $"gitops[{i}]");
            if (target is null)
            {
                add(at, "must be an object");
                continue;
            }

            if (target.Controller is not (GitOpsTarget.ArgoCd or GitOpsTarget.Flux))
            {
                add($"{at}.controller", "must be 'argocd' or 'flux'");
            }

            foreach (var (field, value) in new[] { ("cluster", target.Cluster), ("namespace", target.Namespace), ("name", target.Name) })
            {
                if (value is null || !KubernetesName().IsMatch(value))
                {
                    add($"{at}.{field}", "must be a Kubernetes name (lower-case letters, digits, '-', '.'; at most 253 characters)");
                }
            }

            if (target.Manages is { Count: > MaxManagedClusters })
            {
                add($"{at}.manages", $"at most {MaxManagedClusters} clusters");
            }
            else if ((target.Manages ?? []).Any(c => c is null || !KubernetesName().IsMatch(c)))
            {
                add($"{at}.manages", "must be a list of cluster names (lower-case letters, digits, '-', '.')");
            }
            else if (target.Cluster is not null && KubernetesName().IsMatch(target.Cluster))
            {
                // Only a configured cluster can be held, and only its steps can be blocked when a hold fails.
                foreach (var (field, problem) in gitOps?.Validate(target) ?? new Dictionary<string, string>())
                {
                    add($"{at}.{field}", problem);
                }
            }

            var kindOk = target.Controller == GitOpsTarget.Flux ? target.Kind is "Kustomization" or "HelmRelease" : target.Kind is null or "Application";
            if (!kindOk)
            {
                add($"{at}.kind", target.Controller == GitOpsTarget.Flux ? "must be 'Kustomization' or 'HelmRelease'" : "must be 'Application' or left out");
            }
        }
    }

    [System.Text.RegularExpressions.GeneratedRegex("^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$")]
    private static partial System.Text.RegularExpressions.Regex KubernetesName();

    private const int MaxGitOpsTargets = 10;
    private const int MaxArtifacts = 50;
    private const int MaxManagedClusters = 20;
    private const int MaxLabels = 32;
    private const int MaxLabelName = 100;
    private const int MaxLabelValue = 512;

    private void ValidateSteps(List<StepRegistration> steps, Action<string, string> add)
    {
        if (steps.Count == 0)
        {
            add("steps", "at least one step is required");
            return;
        }

        if (steps.Count > DeployDefaults.MaxSteps)
        {
            add("steps", $"at most {DeployDefaults.MaxSteps} steps");
            return;
        }

        if (steps.IndexOf(null!) is var nullAt and >= 0)
        {
            add($"steps[{nullAt}]", "must be an object");
            return;
        }

        var ids = new HashSet<string>(StringComparer.Ordinal);
        var idsValid = true;
        for (var i = 0; i < steps.Count; i++)
        {
            var step = steps[i];
            var at = $"steps[{i}]";
            if (!Identifiers.IsValid(step.Id))
            {
                add($"{at}.id", Identifiers.Problem);
                idsValid = false;
            }
            else if (!ids.Add(step.Id))
            {
                add($"{at}.id", $"duplicate step id '{step.Id}'");
            }

            var executor = step.Kind is null ? null : executors.Find(step.Kind);
            if (executor is null)
            {
                add($"{at}.kind", $"unknown step kind '{step.Kind}'; known kinds: {string.Join(", ", executors.Kinds)}");
            }
            else if (step.Revert?.Mode != RevertMode.Manual && executor.ValidateParams(step.Params ?? []) is { } problem)
            {
                add($"{at}.params", problem);
            }

            if (step.Revert is { MaxAttempts: < 1 or > DeployDefaults.MaxStepAttempts })
            {
                add($"{at}.revert.maxAttempts", $"must be between 1 and {DeployDefaults.MaxStepAttempts}");
            }

            if (step.Revert?.Deadline is { } deadline && !DeployDefaults.IsWaitInRange(deadline))
            {
                add($"{at}.revert.deadline", DeployDefaults.WaitRangeProblem);
            }
        }

        if (!idsValid)
        {
            return; // the graph checks below need every step to have a usable id
        }

        for (var i = 0; i < steps.Count; i++)
        {
            foreach (var dep in steps[i].DependsOn ?? [])
            {
                if (dep is null || !ids.Contains(dep))
                {
                    add($"steps[{i}].dependsOn", $"names a missing step '{dep}'");
                }
                else if (dep == steps[i].Id)
                {
                    add($"steps[{i}].dependsOn", "a step cannot depend on itself");
                }
            }
        }

        var graph = new StepGraph(steps
            .DistinctBy(s => s.Id)
            .ToDictionary(s => s.Id, s => (IReadOnlyList<string>)(s.DependsOn ?? []).Where(d => d is not null).ToList()));
        if (graph.FindCycle() is { Count: > 2 } cycle)
        {
            add("steps", $"dependency cycle: {string.Join(" -> ", cycle)}");
        }
    }

    private static void RequireText(string value, string path, Action<string, string> add)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            add(path, "is required and must not be empty");
        }
        else if (value.Length > DeployDefaults.MaxTextLength)
        {
            add(path, $"must be at most {DeployDefaults.MaxTextLength} characters");
        }
        else if (value.Any(char.IsControl))
        {
            // Service, environment and version are matched against alert labels and printed in pages and logs.
            add(path, "must not contain control characters");
        }
    }
}
