using System.Reflection;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RollbackFunctions.Core.Orchestration;
using RollbackFunctions.Infrastructure.Storage;

namespace RollbackFunctions.Integration.Tests.Functions;

/// <summary>
/// The Functions app's worker host, built exactly as <c>Program.cs</c> builds it (no Functions host
/// runs here, so it is never started): the container validates on build, every function class can
/// be created from it, every options set passes its checks — with a connection string and with the
/// identity-based storage settings Azure uses where account keys are disabled.
/// </summary>
public sealed class FunctionsHostTests
{
    private static readonly Assembly App = typeof(FunctionsApp).Assembly;

    [Fact]
    public void Build_AsProgramDoes_CreatesEveryFunctionClassAndActivity()
    {
        using var host = FunctionsApp.Build(["--AzureWebJobsStorage=UseDevelopmentStorage=true"]);

        var functionClasses = App.GetTypes().Where(t => t.GetMethods().Any(m => m.GetCustomAttribute<FunctionAttribute>() is not null)).ToList();
        Assert.NotEmpty(functionClasses);
        // The worker creates function classes from the container, per invocation, as this does.
        Assert.All(functionClasses, type => Assert.NotNull(ActivatorUtilities.CreateInstance(host.Services, type)));
        Assert.All(RollbackTasks.Activities, activity => Assert.NotNull(host.Services.GetRequiredService(activity)));
        host.Services.GetRequiredService<IStartupValidator>().Validate();
        // Every orchestrator and activity the Core registers has a trigger in the app, by name.
        var functionNames = functionClasses.SelectMany(t => t.GetMethods()).Select(m => m.GetCustomAttribute<FunctionAttribute>()?.Name).OfType<string>().ToHashSet();
        Assert.All(RollbackTasks.Activities.Append(typeof(RollbackOrchestrator)), task => Assert.Contains(task.Name, functionNames));
    }

    [Fact]
    public void Build_AsProgramDoes_EveryLogLineOfTheWorkerIsRedacted()
    {
        const string token = "ghp_workertoken0123456789abcdef";
        using var host = FunctionsApp.Build(["--AzureWebJobsStorage=UseDevelopmentStorage=true", "--Rollback:Executors:Git:Repositories:config:Url=https://git.example/config.git", $"--Rollback:Executors:Git:Repositories:config:Token={token}"]);
        var logs = new RecordingLoggerProvider();
        host.Services.GetRequiredService<ILoggerFactory>().AddProvider(logs);

        host.Services.GetRequiredService<ILogger<FunctionsHostTests>>().LogWarning(new InvalidOperationException($"push to https://x:{token}@git.example failed"), "push failed with {Token}", token);

        var entry = Assert.Single(logs.Entries);
        Assert.DoesNotContain(token, entry);
        Assert.Contains("push failed with ***", entry);
    }

    [Fact]
    public void Build_WithIdentityBasedStorage_NeedsNoConnectionString()
    {
        using var host = FunctionsApp.Build(["--AzureWebJobsStorage:accountName=rollbackprod", "--AzureWebJobsStorage:credential=managedidentity"]);

        host.Services.GetRequiredService<IStartupValidator>().Validate();
        var storage = host.Services.GetRequiredService<IOptions<StorageOptions>>().Value;
        Assert.Equal("", storage.ConnectionString);
        var tables = host.Services.GetRequiredService<StorageTables>();
        Assert.Equal("https://rollbackprod.table.core.windows.net/", tables.Deploys.Uri.GetLeftPart(UriPartial.Authority) + "/");
        Assert.Equal("rollbackprod", tables.Deploys.AccountName);
    }

    [Fact]
    public void Build_WithNoStorageAtAll_FailsNamingWhatToSet()
    {
        using var host = FunctionsApp.Build([]);

        var failure = Assert.ThrowsAny<Exception>(() => host.Services.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains("AzureWebJobsStorage__accountName", failure.Message);
    }
}
