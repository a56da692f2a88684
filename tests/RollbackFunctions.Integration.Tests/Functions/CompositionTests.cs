using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
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

    [Theory]
    [InlineData("Rollback:Executors:Webhook:AttemptTimeout", "00:00:30", "AttemptTimeout")]
    [InlineData("Rollback:Prometheus:BaseUrl", "ftp://prometheus", "BaseUrl")]
    [InlineData("Rollback:Prometheus:Username", "only-a-user", "Password")]
    [InlineData("Rollback:Correlation:ServiceLabels:0", " ", "ServiceLabels")]
    [InlineData("Rollback:Orchestration:StepMaxAttempts", "0", "StepMaxAttempts")]
    [InlineData("Rollback:Notifications:Default:SlackWebhookUrl", "not a url", "Slack")]
    [InlineData("Rollback:Storage:TablePrefix", "bad-prefix", "TablePrefix")]
    [InlineData("Rollback:Auth:Keys:ci:Secret", "@Microsoft.KeyVault(SecretUri=https://rb-kv.vault.azure.net/secrets/key-ci/)", "Key Vault reference")]
    [InlineData("Rollback:Audit:Keys:k1", "@Microsoft.KeyVault(SecretUri=https://rb-kv.vault.azure.net/secrets/audit-key/)", "Key Vault reference")]
    [InlineData("Rollback:Notifications:Default:PagerDutyRoutingKey", "@Microsoft.KeyVault(SecretUri=https://rb-kv.vault.azure.net/secrets/pagerduty-routing-key/)", "az keyvault secret set --vault-name rb-kv -n pagerduty-routing-key")]
    [InlineData("Rollback:Executors:Git:Repositories:config:Token", "@Microsoft.KeyVault(VaultName=rb-kv;SecretName=deploy-config-token)", "secret 'deploy-config-token' in vault 'rb-kv'")]
    public async Task Start_InvalidOption_FailsFastNamingIt(string key, string value, string named)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Rollback:Storage:ConnectionString"] = "UseDevelopmentStorage=true",
                [key] = value,
            })
            .Build();
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddRollbackServices(configuration);
        builder.Services.RemoveAll<IHostedService>(); // only the options check, not the tables
        using var host = builder.Build();

        var failure = await Record.ExceptionAsync(() => host.StartAsync());

        // The host reports every failed options set at once, in an AggregateException when there are several.
        var validation = failure is AggregateException many
            ? Assert.IsType<OptionsValidationException>(many.InnerExceptions[0])
            : Assert.IsType<OptionsValidationException>(failure);
        Assert.Contains(named, validation.Message);
    }

    [Fact]
    public async Task Start_WithTheSampleSettings_PassesValidation()
    {
        var sample = JsonNode.Parse(File.ReadAllText(Path.Combine(Repo.Root, "local.settings.sample.json")))!["Values"]!.AsObject();
        // Copied as it is, it starts: no Key Vault reference that only App Service could resolve.
        Assert.DoesNotContain(sample, v => v.Value!.GetValue<string>().StartsWith("@Microsoft.KeyVault(", StringComparison.Ordinal));
        var configuration = new ConfigurationBuilder()
            // App Service resolves the Key Vault references before the app sees them; so does this.
            .AddInMemoryCollection(sample.Select(v => KeyValuePair.Create(v.Key.Replace("__", ":", StringComparison.Ordinal), (string?)ResolvedLikeAppService(v.Key, v.Value!.GetValue<string>()))))
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Rollback:Storage:ConnectionString"] = "UseDevelopmentStorage=true" })
            .Build();
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddRollbackServices(configuration);
        builder.Services.RemoveAll<IHostedService>();
        using var host = builder.Build();

        await host.StartAsync();
        await host.StopAsync();
    }

    private static string ResolvedLikeAppService(string setting, string value) =>
        value.StartsWith("@Microsoft.KeyVault(", StringComparison.Ordinal)
            ? setting.Contains("ConnectionString", StringComparison.Ordinal) ? "Host=db;Database=orders;Username=rollback;Password=secret" : $"secret-{Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(setting)))[..40]}"
            : value;

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
