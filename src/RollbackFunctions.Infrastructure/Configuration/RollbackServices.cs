using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using RollbackFunctions.Core.Audit;
using RollbackFunctions.Core.Correlation;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Executors;
using RollbackFunctions.Core.Notifications;
using RollbackFunctions.Core.Orchestration;
using RollbackFunctions.Core.Ports;
using RollbackFunctions.Core.Verification;
using RollbackFunctions.Infrastructure.Audit;
using RollbackFunctions.Infrastructure.Executors;
using RollbackFunctions.Infrastructure.Http;
using RollbackFunctions.Infrastructure.Notifications;
using RollbackFunctions.Infrastructure.Rollbacks;
using RollbackFunctions.Infrastructure.Storage;
using RollbackFunctions.Infrastructure.Verification;

namespace RollbackFunctions.Infrastructure.Configuration;

/// <summary>Everything both runtimes register: options, stores, executors, pagers, activities, handlers.</summary>
public static class RollbackServices
{
    /// <summary>Adds the product's services. The host adds the Durable worker and client.</summary>
    public static IServiceCollection AddRollbackServices(this IServiceCollection services, IConfiguration configuration)
    {
        AddOptions(services, configuration);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(sp => new SecretRedactor(
            sp.GetRequiredService<IOptions<NotificationOptions>>().Value.Secrets()
                .Concat(SecretsOf(sp.GetRequiredService<IOptions<PrometheusOptions>>().Value))));

        services.AddSingleton<StorageTables>();
        services.AddHostedService<StorageTablesInitializer>();
        services.AddSingleton<IDeployStore, TableDeployStore>();
        services.AddSingleton<IRollbackStore, TableRollbackStore>();
        services.AddSingleton<IAlertLog, TableAlertLog>();
        services.AddSingleton<IAuditLog, TableAuditLog>();

        services.AddSingleton<IStepExecutor, WebhookStepExecutor>();
        services.AddSingleton<StepExecutorCatalog>();
        services.AddSingleton<IMetricSource, PrometheusMetricSource>();
        services.AddSingleton<INotificationChannel, PagerDutyChannel>();
        services.AddSingleton<INotificationChannel, SlackChannel>();
        services.AddSingleton<INotificationChannel, TeamsChannel>();
        services.AddSingleton<IPager, Pager>();
        AddHttpClients(services);

        services.AddSingleton(sp => new Correlator(sp.GetRequiredService<IOptions<CorrelationOptions>>().Value));
        services.AddSingleton<RegistrationValidator>();
        services.AddSingleton<RollbackStarter>();
        services.AddSingleton<DeployEndpoints>();
        services.AddSingleton<AlertEndpoints>();
        services.AddSingleton<RollbackEndpoints>();
        services.AddSingleton<OperatorEndpoints>();
        services.AddSingleton<HealthEndpoint>();

        services.AddTransient<HaltDeployActivity>();
        services.AddTransient<RecordProgressActivity>();
        services.AddTransient<RevertStepActivity>();
        services.AddTransient<CompleteRollbackActivity>();
        services.AddTransient<SendPageActivity>();
        services.AddTransient<EvaluateHealthActivity>();
        return services;
    }

    private static void AddOptions(IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<StorageOptions>()
            .Bind(configuration.GetSection("Rollback:Storage"))
            .PostConfigure(o => o.ConnectionString = string.IsNullOrEmpty(o.ConnectionString) ? configuration["AzureWebJobsStorage"] ?? "" : o.ConnectionString)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddOptions<RollbackOptions>().Bind(configuration.GetSection("Rollback:Orchestration")).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<WebhookExecutorOptions>().Bind(configuration.GetSection("Rollback:Executors:Webhook"));
        services.AddOptions<CorrelationOptions>().Bind(configuration.GetSection("Rollback:Correlation"));
        services.AddOptions<NotificationOptions>()
            .Bind(configuration.GetSection("Rollback:Notifications"))
            .Validate(NotificationOptionsAreUsable, "Rollback:Notifications: PublicBaseUrl, PagerDutyEventsUrl and every Slack/Teams webhook URL must be absolute http(s) URLs")
            .ValidateOnStart();
        services.AddOptions<PrometheusOptions>().Bind(configuration.GetSection("Rollback:Prometheus"));
    }

    /// <summary>One client per dependency, each with its own resilience pipeline (retries with backoff on 429/5xx/timeouts).</summary>
    private static void AddHttpClients(IServiceCollection services)
    {
        services.AddHttpClient(WebhookStepExecutor.HttpClientName)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false })
            .AddStandardResilienceHandler();
        services.AddOptions<HttpStandardResilienceOptions>(WebhookStepExecutor.HttpClientName + "-standard")
            .Configure<IOptionsMonitor<WebhookExecutorOptions>>((resilience, webhook) =>
                resilience.AttemptTimeout.Timeout = webhook.CurrentValue.AttemptTimeout);
        foreach (var name in new[] { PagerDutyChannel.HttpClientName, "slack", "teams", PrometheusMetricSource.HttpClientName })
        {
            services.AddHttpClient(name)
                .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false })
                .AddStandardResilienceHandler();
        }
    }

    private static bool NotificationOptionsAreUsable(NotificationOptions options) =>
        new[] { options.PublicBaseUrl, options.PagerDutyEventsUrl }
            .Concat(options.Routes.Append(options.Default).SelectMany(r => new[] { r.SlackWebhookUrl, r.TeamsWebhookUrl }).Where(u => !string.IsNullOrEmpty(u)))
            .All(u => Uri.TryCreate(u, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https");

    private static IEnumerable<string?> SecretsOf(PrometheusOptions prometheus) => [prometheus.BearerToken, prometheus.Password];
}
