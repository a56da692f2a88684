using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using RollbackFunctions.Core.Correlation;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Executors;
using RollbackFunctions.Core.Orchestration;
using RollbackFunctions.Core.Ports;
using RollbackFunctions.Infrastructure.Executors;
using RollbackFunctions.Infrastructure.Http;
using RollbackFunctions.Infrastructure.Rollbacks;
using RollbackFunctions.Infrastructure.Storage;

namespace RollbackFunctions.Infrastructure.Configuration;

/// <summary>Everything both runtimes register: options, stores, executors, activities, handlers.</summary>
public static class RollbackServices
{
    /// <summary>Adds the product's services. The host adds the Durable worker and client.</summary>
    public static IServiceCollection AddRollbackServices(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<StorageOptions>()
            .Bind(configuration.GetSection("Rollback:Storage"))
            .PostConfigure(o => o.ConnectionString = string.IsNullOrEmpty(o.ConnectionString) ? configuration["AzureWebJobsStorage"] ?? "" : o.ConnectionString)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddOptions<RollbackOptions>().Bind(configuration.GetSection("Rollback:Orchestration")).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<WebhookExecutorOptions>().Bind(configuration.GetSection("Rollback:Executors:Webhook"));
        services.AddOptions<CorrelationOptions>().Bind(configuration.GetSection("Rollback:Correlation"));

        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<StorageTables>();
        services.AddHostedService<StorageTablesInitializer>();
        services.AddSingleton<IDeployStore, TableDeployStore>();
        services.AddSingleton<IRollbackStore, TableRollbackStore>();
        services.AddSingleton<IAlertLog, TableAlertLog>();

        services.AddSingleton<IStepExecutor, WebhookStepExecutor>();
        services.AddSingleton<StepExecutorCatalog>();
        services.AddHttpClient(WebhookStepExecutor.HttpClientName)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false })
            .AddStandardResilienceHandler();
        services.AddOptions<HttpStandardResilienceOptions>(WebhookStepExecutor.HttpClientName + "-standard")
            .Configure<IOptionsMonitor<WebhookExecutorOptions>>((resilience, webhook) =>
                resilience.AttemptTimeout.Timeout = webhook.CurrentValue.AttemptTimeout);

        services.AddSingleton(sp => new Correlator(sp.GetRequiredService<IOptions<CorrelationOptions>>().Value));
        services.AddSingleton<RegistrationValidator>();
        services.AddSingleton<RollbackStarter>();
        services.AddSingleton<DeployEndpoints>();
        services.AddSingleton<AlertEndpoints>();
        services.AddSingleton<RollbackEndpoints>();
        services.AddSingleton<HealthEndpoint>();

        services.AddTransient<HaltDeployActivity>();
        services.AddTransient<RecordProgressActivity>();
        services.AddTransient<RevertStepActivity>();
        services.AddTransient<CompleteRollbackActivity>();
        return services;
    }
}
