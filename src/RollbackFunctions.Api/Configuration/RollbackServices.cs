using RollbackFunctions.Core.Watching;
using RollbackFunctions.Core.Verification;
using RollbackFunctions.Core.Ports;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using RollbackFunctions.Api.Access;
using RollbackFunctions.Api.Http;
using RollbackFunctions.Api.Rollbacks;
using RollbackFunctions.Core.Correlation;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Executors;
using RollbackFunctions.Core.Orchestration;
using RollbackFunctions.Core.Policy;
using RollbackFunctions.Infrastructure.Configuration;

namespace RollbackFunctions.Api.Configuration;

/// <summary>Everything both runtimes register: the adapters, the rollback's activities, the use cases and the HTTP handlers.</summary>
public static class RollbackServices
{
    /// <summary>Adds the product's services. The host adds the Durable worker and client.</summary>
    public static IServiceCollection AddRollbackServices(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddRollbackAdapters(configuration);
        services.AddOptions<RollbackOptions>().Bind(configuration.GetSection("Rollback:Orchestration")).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<CorrelationOptions>()
            .Bind(configuration.GetSection("Rollback:Correlation"))
            .Validate(o => o.AreUsable(), "Rollback:Correlation: ServiceLabels and EnvironmentLabels each need at least one non-empty label name, ActiveDeployTimeout must be positive")
            .ValidateOnStart();

        services.AddOptions<AccessOptions>()
            .Bind(configuration.GetSection("Rollback:Auth"))
            .PostConfigure(access => ReadKeyLists(access, configuration.GetSection("Rollback:Auth:Keys")))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<AccessOptions>>(sp => new ProblemsValidator<AccessOptions>(o => o.Problems(sp.GetRequiredService<IOptions<PolicyOptions>>().Value)));
        services.AddSingleton<ApiAccess>();
        services.AddSingleton<ScopeGuard>();
        services.AddSingleton<DeployRetention>();

        foreach (var activity in RollbackTasks.Activities)
        {
            services.AddTransient(activity);
        }

        services.AddOptions<PolicyOptions>().Bind(configuration.GetSection("Rollback:Policy")).ValidateOnStart();
        services.AddSingleton<IValidateOptions<PolicyOptions>>(new ProblemsValidator<PolicyOptions>(o => o.Problems()));
        services.AddSingleton<PolicyGate>();
        services.AddSingleton(sp =>
        {
            var policy = sp.GetRequiredService<IOptions<PolicyOptions>>().Value;
            return new Correlator(sp.GetRequiredService<IOptions<CorrelationOptions>>().Value, policy.ClockSkew, policy.DeclaredEnvironment);
        });
        services.AddSingleton<RegistrationValidator>();
        services.AddSingleton(sp => new DeployEnvironments(sp.GetRequiredService<IOptions<PolicyOptions>>().Value, sp.GetRequiredService<IStepTargets>()));
        services.AddSingleton<StepCapture>();
        services.AddSingleton<CheckSampler>();
        services.AddSingleton<ErrorBudget>();
        services.AddOptions<CheckTemplateOptions>().Bind(configuration.GetSection("Rollback:Watch:Templates"));
        services.AddSingleton(sp => new CheckTemplates(sp.GetRequiredService<IOptions<CheckTemplateOptions>>().Value));
        services.AddSingleton<WatcherStarter>();
        services.AddSingleton<IRollbackLauncher>(sp => new RollbackLauncher(sp.GetRequiredService<RollbackStarter>(), sp.GetRequiredService<DurableTaskClient>));
        services.AddSingleton<RollbackStarter>();
        services.AddSingleton<StalledRollbacks>();
        services.AddSingleton<DeployEndpoints>();
        services.AddSingleton<AlertEndpoints>();
        services.AddSingleton<RollbackEndpoints>();
        services.AddSingleton<OperatorEndpoints>();
        services.AddSingleton<ApprovalDecisions>();
        services.AddSingleton<SlackInteractionEndpoint>();
        services.AddSingleton<AccessEndpoint>();
        services.AddSingleton<HealthEndpoint>();
        services.AddSingleton<PolicyEndpoint>();
        services.AddSingleton<Insights.ImpactReader>();
        services.AddSingleton<InsightsEndpoint>();
        services.AddSingleton<QuarantineEndpoints>();
        services.AddSingleton<PlanEndpoints>();
        services.AddSingleton<RollbackPlans>();
        services.AddSingleton<Rehearser>();
        services.AddOptions<RehearsalOptions>().Bind(configuration.GetSection("Rollback:Rehearsal"));
        return services;
    }

    /// <summary>
    /// <c>Rollback__Auth__Keys__ci__Roles=ci,reader</c> (and <c>Services</c>, <c>Environments</c>), one app
    /// setting, as in Azure: the binder fills a list only from <c>Roles:0</c>, <c>Roles:1</c>, so a single value is added here.
    /// </summary>
    private static void ReadKeyLists(AccessOptions access, IConfigurationSection keys)
    {
        foreach (var (name, key) in access.Keys)
        {
            foreach (var (setting, list) in new[] { ("Roles", key.Roles), ("Services", key.Services), ("Environments", key.Environments) })
            {
                // Keys added in code (tests, hosts) have no section: their lists stay as given.
                if (keys.GetSection(name).GetSection(setting) is { } section && section.Exists())
                {
                    var read = SettingList.Read(section);
                    list.Clear();
                    list.AddRange(read);
                }
            }
        }
    }
}
