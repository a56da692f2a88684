using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using RollbackFunctions.Core.Executors;
using RollbackFunctions.Core.Ports;
using RollbackFunctions.Infrastructure.Audit;
using RollbackFunctions.Infrastructure.Executors;
using RollbackFunctions.Infrastructure.Executors.FeatureFlags;
using RollbackFunctions.Infrastructure.Executors.Helm;
using RollbackFunctions.Infrastructure.Executors.Kubernetes;
using RollbackFunctions.Infrastructure.Executors.Processes;
using RollbackFunctions.Infrastructure.Executors.Git;
using RollbackFunctions.Infrastructure.Executors.Terraform;
using RollbackFunctions.Infrastructure.Executors.Sql;
using RollbackFunctions.Infrastructure.Notifications;
using RollbackFunctions.Infrastructure.Notifications.Slack;
using RollbackFunctions.Infrastructure.Storage;
using RollbackFunctions.Infrastructure.Verification;

namespace RollbackFunctions.Infrastructure.Configuration;

/// <summary>The adapters behind Core's ports: stores, executors, the metric source, the pager, and their options.</summary>
public static class AdapterServices
{
    /// <summary>Adds every adapter with its options, each validated when the host starts.</summary>
    public static IServiceCollection AddRollbackAdapters(this IServiceCollection services, IConfiguration configuration)
    {
        AddOptions(services, configuration);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(sp => new SecretRedactor(
            sp.GetRequiredService<IOptions<NotificationOptions>>().Value.Secrets()
                .Concat(sp.GetRequiredService<IOptions<PrometheusOptions>>().Value.Secrets())
                .Concat(sp.GetRequiredService<IOptions<SqlOptions>>().Value.Secrets())
                .Concat(sp.GetRequiredService<IOptions<TerraformOptions>>().Value.Secrets())
                .Concat(sp.GetRequiredService<IOptions<GitOptions>>().Value.Secrets())
                .Concat(sp.GetRequiredService<IOptions<FeatureFlagOptions>>().Value.Secrets())
                .Concat(sp.GetRequiredService<IOptions<LokiOptions>>().Value.Secrets())
                .Concat(sp.GetRequiredService<IOptions<DatadogOptions>>().Value.Secrets())
                .Append(sp.GetRequiredService<IOptions<SlackOptions>>().Value.SigningSecret)
                .Concat(HostSecrets(configuration, sp.GetRequiredService<IOptions<AuditOptions>>().Value, sp.GetRequiredService<IOptions<StorageOptions>>().Value))));
        services.AddSingleton<IRedactor>(sp => sp.GetRequiredService<SecretRedactor>());
        RedactingLoggerFactory.Decorate(services, configuration);

        services.AddSingleton<StorageTables>();
        services.AddHostedService<StorageTablesInitializer>();
        services.AddSingleton<IDeployStore, TableDeployStore>();
        services.AddSingleton<IRollbackStore, TableRollbackStore>();
        services.AddSingleton<IQuarantineStore, TableQuarantineStore>();
        services.AddSingleton<IAlertLog, TableAlertLog>();
        services.AddSingleton<IAuditLog, TableAuditLog>();

        services.AddSingleton<IStepExecutor, WebhookStepExecutor>();
        services.AddSingleton<KubernetesClusters>();
        services.AddSingleton<KubernetesApi>();
        services.AddSingleton<KubernetesWorkloadExecutor>();
        services.AddSingleton<IStepExecutor>(sp => sp.GetRequiredService<KubernetesWorkloadExecutor>());
        services.AddSingleton<IStepExecutor, KubernetesConfigMapExecutor>();
        services.AddSingleton<IStepExecutor, ArgoRolloutExecutor>();
        services.AddSingleton<IStepExecutor, ArgoApplicationExecutor>();
        services.AddSingleton<IGitOpsControllers, KubernetesGitOpsControllers>();
        services.AddSingleton<IStepExecutor, SqlMigrationExecutor>();
        services.AddSingleton<ProcessRunner>();
        services.AddSingleton<IStepExecutor, HelmReleaseExecutor>();
        services.AddSingleton<IStepExecutor, TerraformExecutor>();
        services.AddSingleton<PullRequests>();
        services.AddSingleton<IStepExecutor, GitRevertExecutor>();
        services.AddSingleton<IStepExecutor, FeatureFlagExecutor>();
        services.AddSingleton<StepExecutorCatalog>();
        services.AddSingleton<IStepTargets, StepTargets>();
        services.AddSingleton<IMetricSource, PrometheusMetricSource>();
        services.AddSingleton<IMetricSource, LokiMetricSource>();
        services.AddSingleton<IMetricSource, DatadogMetricSource>();
        services.AddSingleton<IMetricSource, DatadogLogsSource>();
        services.AddSingleton<INotificationChannel, PagerDutyChannel>();
        services.AddSingleton<INotificationChannel, SlackChannel>();
        services.AddSingleton<INotificationChannel, TeamsChannel>();
        services.AddSingleton<SlackResponder>();
        services.AddSingleton<IPager, Pager>();
        AddHttpClients(services);
        return services;
    }

    /// <summary>
    /// Nothing set under Rollback:Storage: use the Functions host's storage, a connection string or
    /// its identity-based settings (<c>AzureWebJobsStorage__accountName</c> and friends).
    /// </summary>
    /// <summary>
    /// Secrets of the host itself: the API keys (bound by the API layer, read here from configuration so
    /// both runtimes mask them), the audit's HMAC keys and the storage account key.
    /// </summary>
    private static IEnumerable<string?> HostSecrets(IConfiguration configuration, AuditOptions audit, StorageOptions storage) =>
        configuration.GetSection("Rollback:Auth:Keys").GetChildren().Select(key => key["Secret"])
            .Concat(audit.Keys.Values)
            .Concat(SecretRedactor.ConnectionStringSecrets(storage.ConnectionString));

    private static void FromHostStorage(StorageOptions options, IConfiguration configuration)
    {
        if (!string.IsNullOrEmpty(options.ConnectionString) || options.IdentityEndpoint is not null)
        {
            return;
        }

        var host = configuration.GetSection("AzureWebJobsStorage");
        if (!string.IsNullOrEmpty(host.Value))
        {
            options.ConnectionString = host.Value;
            return;
        }

        options.AccountName = host["accountName"] ?? "";
        options.TableServiceUri = host["tableServiceUri"] is { Length: > 0 } uri ? new Uri(uri) : null;
        options.Credential = host["credential"] ?? "";
        options.ClientId = host["clientId"] ?? "";
    }

    private static void AddOptions(IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<UnresolvedSettings>()
            .Configure(found =>
            {
                foreach (var (key, value) in configuration.GetSection("Rollback").AsEnumerable().Where(s => KeyVaultReference.IsUnresolved(s.Value)))
                {
                    found.References[key] = value!;
                }
            })
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<UnresolvedSettings>>(new ProblemsValidator<UnresolvedSettings>(o => o.Problems()));
        services.AddOptions<StorageOptions>()
            .Bind(configuration.GetSection("Rollback:Storage"))
            .PostConfigure(o => FromHostStorage(o, configuration))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<StorageOptions>>(new ProblemsValidator<StorageOptions>(o => o.Problems()));
        services.AddOptions<WebhookExecutorOptions>().Bind(configuration.GetSection("Rollback:Executors:Webhook")).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<AuditOptions>().Bind(configuration.GetSection("Rollback:Audit")).ValidateOnStart();
        services.AddSingleton<IValidateOptions<AuditOptions>>(new ProblemsValidator<AuditOptions>(o => o.Problems()));
        services.AddOptions<NotificationOptions>()
            .Bind(configuration.GetSection("Rollback:Notifications"))
            .Validate(o => o.AreUsable(), "Rollback:Notifications: PublicBaseUrl, PagerDutyEventsUrl and every Slack/Teams webhook URL must be absolute http(s) URLs")
            .ValidateOnStart();
        services.AddOptions<SlackOptions>().Bind(configuration.GetSection("Rollback:Slack")).ValidateOnStart();
        services.AddSingleton<IValidateOptions<SlackOptions>>(new ProblemsValidator<SlackOptions>(o => o.Problems()));
        services.AddOptions<KubernetesOptions>().Bind(configuration.GetSection("Rollback:Executors:Kubernetes"))
            .PostConfigure(o => ReadEnvironments(o.Clusters, configuration.GetSection("Rollback:Executors:Kubernetes:Clusters"), (c, list) => c.Environments = list))
            .ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<HelmOptions>().Bind(configuration.GetSection("Rollback:Executors:Helm")).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<GitOptions>().Bind(configuration.GetSection("Rollback:Executors:Git"))
            .PostConfigure(o => ReadEnvironments(o.Repositories, configuration.GetSection("Rollback:Executors:Git:Repositories"), (r, list) => r.Environments = list))
            .ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<ProcessOptions>().Bind(configuration.GetSection("Rollback:Executors:Processes")).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<TerraformOptions>().Bind(configuration.GetSection("Rollback:Executors:Terraform"))
            .PostConfigure(o =>
            {
                foreach (var workspace in configuration.GetSection("Rollback:Executors:Terraform:WorkspaceEnvironments").GetChildren())
                {
                    o.WorkspaceEnvironments[workspace.Key] = SettingList.Read(workspace);
                }
            })
            .ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<FeatureFlagOptions>().Bind(configuration.GetSection("Rollback:Executors:FeatureFlags")).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<SqlOptions>().Bind(configuration.GetSection("Rollback:Executors:Sql"))
            .PostConfigure(o => ReadEnvironments(o.Databases, configuration.GetSection("Rollback:Executors:Sql:Databases"), (d, list) => d.Environments = list))
            .ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<LokiOptions>().Bind(configuration.GetSection("Rollback:Loki")).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<DatadogOptions>().Bind(configuration.GetSection("Rollback:Datadog")).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<PrometheusOptions>().Bind(configuration.GetSection("Rollback:Prometheus")).ValidateDataAnnotations().ValidateOnStart();
    }

    /// <summary>
    /// The environments each named target serves, read with <see cref="SettingList"/>: a comma-separated
    /// app setting counts as much as a list (the binder alone would drop it, and the target would serve none).
    /// </summary>
    private static void ReadEnvironments<T>(Dictionary<string, T> targets, IConfigurationSection section, Action<T, List<string>> set)
    {
        foreach (var (name, target) in targets)
        {
            // Targets added in code (tests, hosts) have no section: their lists stay as given.
            if (section.GetSection(name).GetSection("Environments") is { } environments && environments.Exists())
            {
                set(target, SettingList.Read(environments));
            }
        }
    }

    /// <summary>
    /// One client per dependency, each with its own resilience pipeline (retries with backoff on
    /// 429/5xx/timeouts). HttpClient's own request logging is removed: it writes every URI, and a
    /// Slack or Teams webhook URL carries its secret in the path.
    /// </summary>
    private static void AddHttpClients(IServiceCollection services)
    {
        foreach (var name in new[] { WebhookStepExecutor.HttpClientName, PagerDutyChannel.HttpClientName, SlackChannel.HttpClientName, TeamsChannel.HttpClientName, PrometheusMetricSource.HttpClientName, LokiMetricSource.HttpClientName, DatadogSource.HttpClientName, FlagStore.HttpClientName, PullRequests.HttpClientName })
        {
            services.AddHttpClient(name)
                .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false })
                .RemoveAllLoggers()
                .AddStandardResilienceHandler();
        }

        // Datadog's 429 carries X-RateLimit-Reset, which the standard retry ignores: DatadogSource
        // waits for it instead, and a rate limit is no sign of an unhealthy dependency for the breaker.
        services.AddOptions<HttpStandardResilienceOptions>(DatadogSource.HttpClientName + "-standard").Configure(resilience =>
        {
            resilience.Retry.ShouldHandle = args => ValueTask.FromResult(!IsRateLimited(args.Outcome) && HttpClientResiliencePredicates.IsTransient(args.Outcome));
            resilience.CircuitBreaker.ShouldHandle = args => ValueTask.FromResult(!IsRateLimited(args.Outcome) && HttpClientResiliencePredicates.IsTransient(args.Outcome));
        });

        services.AddOptions<HttpStandardResilienceOptions>(WebhookStepExecutor.HttpClientName + "-standard")
            .Configure<IOptionsMonitor<WebhookExecutorOptions>>((resilience, webhook) =>
                resilience.AttemptTimeout.Timeout = webhook.CurrentValue.AttemptTimeout);
    }

    private static bool IsRateLimited(Polly.Outcome<HttpResponseMessage> outcome) => outcome.Result?.StatusCode == System.Net.HttpStatusCode.TooManyRequests;
}
