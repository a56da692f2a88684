using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using RollbackFunctions.Core.Executors;
using RollbackFunctions.Infrastructure.Configuration;

namespace RollbackFunctions.Infrastructure.Tests.Configuration;

/// <summary>
/// SAFETY.md 9: the environments a target serves, written as SREs write app settings on Azure
/// (<c>Rollback__Executors__Sql__Databases__orders__Environments=prod,staging</c>) or as a list
/// (<c>:0</c>, <c>:1</c>), mean the same.
/// </summary>
public sealed class TargetEnvironmentListTests
{
    [Fact]
    public void TargetOf_EnvironmentsAsOneCommaSeparatedSetting_ServesEachOfThem()
    {
        var targets = Targets(new()
        {
            ["Rollback:Executors:Sql:Databases:orders:ConnectionString"] = "Host=127.0.0.1;Database=orders",
            ["Rollback:Executors:Sql:Databases:orders:Environments"] = "prod, staging",
            ["Rollback:Executors:Kubernetes:Clusters:east:Kubeconfig"] = "/tmp/east.kubeconfig",
            ["Rollback:Executors:Kubernetes:Clusters:east:Environments"] = "prod,staging",
            ["Rollback:Executors:Git:Repositories:config:Url"] = "https://git.example/config.git",
            ["Rollback:Executors:Git:Repositories:config:Environments"] = "prod,staging",
            ["Rollback:Executors:Terraform:Workspaces:infra"] = "/tmp/infra",
            ["Rollback:Executors:Terraform:WorkspaceEnvironments:infra"] = "prod,staging",
        });

        Assert.Equal(["prod", "staging"], targets.TargetOf("sqlMigration", new JsonObject { ["database"] = "orders" })!.Environments);
        Assert.Equal(["prod", "staging"], targets.Cluster("east")!.Environments);
        Assert.Equal(["prod", "staging"], targets.TargetOf("gitRevert", new JsonObject { ["repository"] = "config" })!.Environments);
        Assert.Equal(["prod", "staging"], targets.TargetOf("terraform", new JsonObject { ["checkout"] = "infra", ["workspace"] = "prod" })!.Environments);
    }

    [Fact]
    public void TargetOf_EnvironmentsAsAList_AreReadAsBefore()
    {
        var targets = Targets(new()
        {
            ["Rollback:Executors:Sql:Databases:orders:ConnectionString"] = "Host=127.0.0.1;Database=orders",
            ["Rollback:Executors:Sql:Databases:orders:Environments:0"] = "prod",
            ["Rollback:Executors:Sql:Databases:orders:Environments:1"] = "staging",
            ["Rollback:Executors:Terraform:Workspaces:infra"] = "/tmp/infra",
            ["Rollback:Executors:Terraform:WorkspaceEnvironments:infra:0"] = "prod",
        });

        Assert.Equal(["prod", "staging"], targets.TargetOf("sqlMigration", new JsonObject { ["database"] = "orders" })!.Environments);
        // Stored before params.checkout existed: params.workspace named the checkout.
        Assert.Equal(["prod"], targets.TargetOf("terraform", new JsonObject { ["workspace"] = "infra" })!.Environments);
    }

    private static IStepTargets Targets(Dictionary<string, string?> settings)
    {
        settings["Rollback:Storage:ConnectionString"] = "UseDevelopmentStorage=true";
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        return new ServiceCollection().AddLogging().AddRollbackAdapters(configuration).BuildServiceProvider().GetRequiredService<IStepTargets>();
    }
}
