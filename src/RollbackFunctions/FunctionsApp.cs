using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Azure.Functions.Worker.OpenTelemetry;
using Microsoft.Extensions.Hosting;
using RollbackFunctions.Api;
using RollbackFunctions.Api.Access;
using RollbackFunctions.Api.Configuration;

namespace RollbackFunctions;

/// <summary>
/// Builds the worker's host. Kept apart from <c>Program.cs</c> so a test can build exactly this host
/// where no Functions host runs: the container is validated on build (every registration
/// resolvable), as it is at every start in Azure.
/// </summary>
public static class FunctionsApp
{
    public static IHost Build(string[] args)
    {
        var builder = FunctionsApplication.CreateBuilder(args);
        builder.ConfigureFunctionsWebApplication();
        // Storage or engine unreachable: 503 with Retry-After, so webhooks and CI retry (the host would
        // say 500). HTTP triggers only: the predicate decides before anything is resolved, so an
        // orchestrator replay never touches the invocation's services (see UnavailableMiddleware).
        builder.UseWhen<UnavailableMiddleware>(UnavailableMiddleware.AppliesTo);
        builder.Services.AddRollbackServices(builder.Configuration);
        // The worker's spans joined to the host's invocation spans (host.json telemetryMode: OpenTelemetry).
        builder.Services.AddRollbackTelemetry(builder.Configuration).UseFunctionsWorkerDefaults();
        // Reachable from the internet: without configured keys every route but health answers 401.
        builder.Services.Configure<AccessOptions>(access => access.RequireKeys = true);
        builder.ConfigureContainer(new DefaultServiceProviderFactory(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true }));
        return builder.Build();
    }
}
