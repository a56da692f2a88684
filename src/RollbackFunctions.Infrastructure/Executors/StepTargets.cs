using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using RollbackFunctions.Core.Executors;
using RollbackFunctions.Infrastructure.Executors.Git;
using RollbackFunctions.Infrastructure.Executors.Kubernetes;
using RollbackFunctions.Infrastructure.Executors.Sql;
using RollbackFunctions.Infrastructure.Executors.Terraform;

namespace RollbackFunctions.Infrastructure.Executors;

/// <summary>
/// The configured targets each step kind names, with the environments configured for them: the
/// cluster of every Kubernetes kind and Helm (the only one configured when a step names none), the
/// database of <c>sqlMigration</c>, the workspace of <c>terraform</c> and the repository of
/// <c>gitRevert</c>. Webhooks and flags name no configured target here: their allow-lists are their own.
/// </summary>
public sealed class StepTargets(
    IOptions<KubernetesOptions> kubernetes,
    IOptions<SqlOptions> sql,
    IOptions<TerraformOptions> terraform,
    IOptions<GitOptions> git) : IStepTargets
{
    private static readonly HashSet<string> ClusterKinds = new(StringComparer.Ordinal)
    {
        "kubernetesDeployment", "kubernetesConfigMap", "argoRollout", "argocdApplication", "helmRelease",
    };

    public StepTarget? TargetOf(string kind, JsonObject parameters) => kind switch
    {
        _ when ClusterKinds.Contains(kind) => Cluster(Text(parameters, "cluster") ?? OnlyCluster()),
        "sqlMigration" when Text(parameters, "database") is { } name && sql.Value.Databases.TryGetValue(name, out var database) =>
            new($"database {name}", $"Rollback:Executors:Sql:Databases:{name}:Environments", Split(database.Environments)),
        "terraform" when TerraformExecutor.CheckoutOf(parameters, terraform.Value.Workspaces) is { } name && terraform.Value.Workspaces.ContainsKey(name) =>
            new($"terraform checkout {name}", $"Rollback:Executors:Terraform:WorkspaceEnvironments:{name}", Split(terraform.Value.WorkspaceEnvironments.GetValueOrDefault(name) ?? [])),
        "gitRevert" when Text(parameters, "repository") is { } name && git.Value.Repositories.TryGetValue(name, out var repository) =>
            new($"git repository {name}", $"Rollback:Executors:Git:Repositories:{name}:Environments", Split(repository.Environments)),
        _ => null,
    };

    public StepTarget? Cluster(string? cluster) =>
        cluster is not null && kubernetes.Value.Clusters.TryGetValue(cluster, out var options)
            ? new($"cluster {cluster}", $"Rollback:Executors:Kubernetes:Clusters:{cluster}:Environments", Split(options.Environments))
            : null;

    /// <summary>The cluster a step without <c>params.cluster</c> acts on (see <see cref="KubernetesClusters.Resolve"/>).</summary>
    private string? OnlyCluster() => kubernetes.Value.Clusters.Count == 1 ? kubernetes.Value.Clusters.Keys.Single() : null;

    private static string? Text(JsonObject parameters, string field) =>
        parameters[field] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    /// <summary>Lists, also when one entry holds several as <c>prod,prod-eu</c> (options built by hand, not bound).</summary>
    private static string[] Split(IEnumerable<string> values) => [.. Configuration.SettingList.Split(values)];
}
