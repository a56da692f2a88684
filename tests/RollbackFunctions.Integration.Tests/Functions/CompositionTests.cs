using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using RollbackFunctions.Api.Configuration;
using RollbackFunctions.Core.Orchestration;
using RollbackFunctions.Local;

namespace RollbackFunctions.Integration.Tests.Functions;

/// <summary>Service registration and Durable settings, each declared once and checked here.</summary>
public sealed class CompositionTests
{
    [Fact]
    public void AddRollbackServices_ValidatesOnBuild_AndResolvesEveryActivity()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Rollback:Storage:ConnectionString"] = "UseDevelopmentStorage=true" })
            .Build();
        var services = new ServiceCollection().AddLogging().AddRollbackServices(configuration);

        using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });

        Assert.All(RollbackTasks.Activities, activity => Assert.NotNull(provider.GetRequiredService(activity)));
    }

    [Fact]
    public void DurableSettings_HostJsonAndTheLocalRuntimeAgree()
    {
        var host = JsonNode.Parse(File.ReadAllText(Path.Combine(Repo.Root, "host.json")))!["extensions"]!["durableTask"]!;
        var local = JsonNode.Parse(File.ReadAllText(Path.Combine(Repo.Root, "src", "RollbackFunctions.Local", "appsettings.json")))!["Rollback"]!["Durable"]!;
        var defaults = new DurableEngineOptions();

        Assert.Equal(host["hubName"]!.GetValue<string>(), local["TaskHub"]!.GetValue<string>());
        Assert.Equal(defaults.TaskHub, local["TaskHub"]!.GetValue<string>());
        var polling = TimeSpan.Parse(host["storageProvider"]!["maxQueuePollingInterval"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(polling, TimeSpan.Parse(local["MaxQueuePollingInterval"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(polling, defaults.MaxQueuePollingInterval);
    }
}
