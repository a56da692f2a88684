using Azure.Identity;
using Azure.Monitor.OpenTelemetry.Exporter;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using RollbackFunctions.Core.Telemetry;

namespace RollbackFunctions.Api.Configuration;

/// <summary>
/// OpenTelemetry for both runtimes: spans of the webhooks (ASP.NET Core), of the Durable Task SDK
/// (the orchestration and each activity, parented to the request that started the rollback, so one
/// rollback is one trace) and of outgoing calls (reverts, pages, queries); the product's metrics
/// (<see cref="RollbackTelemetry"/>) and the HTTP server's. Spans are recorded only where they are
/// exported: to Azure Monitor when
/// <c>APPLICATIONINSIGHTS_CONNECTION_STRING</c> is set, over OTLP when
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is; the local runtime adds a Prometheus <c>/metrics</c>.
/// </summary>
public static class RollbackTelemetryServices
{
    /// <summary>The Durable Task SDK's activity source.</summary>
    public const string DurableTaskSource = "Microsoft.DurableTask";

    private const string GrpcSidecarPath = "/TaskHubSidecarService";

    public static OpenTelemetryBuilder AddRollbackTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        // The impact figures as gauges, per environment (docs: the impact view).
        services.AddSingleton<Insights.ImpactGauges>();
        services.AddHostedService<Insights.ImpactGaugesOnStart>();
        var otlp = !string.IsNullOrEmpty(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        var appInsights = configuration["APPLICATIONINSIGHTS_CONNECTION_STRING"];
        var telemetry = services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(configuration["OTEL_SERVICE_NAME"] ?? "rollback-functions"))
            .WithMetrics(metrics => metrics
                .AddMeter(RollbackTelemetry.Name)
                .AddAspNetCoreInstrumentation());
        // Spans cost a third of the peak intake (docs/benchmarks.md): recorded only when something exports them.
        if (otlp || !string.IsNullOrEmpty(appInsights))
        {
            telemetry.WithTracing(tracing => tracing
                .AddSource(RollbackTelemetry.Name, DurableTaskSource)
                // The local runtime's engine is a gRPC sidecar in the same process: its calls are
                // plumbing, not part of any rollback's story.
                .AddAspNetCoreInstrumentation(o => o.Filter = http => !http.Request.Path.StartsWithSegments(GrpcSidecarPath))
                .AddHttpClientInstrumentation(o => o.FilterHttpRequestMessage = request => request.Content?.Headers.ContentType?.MediaType != "application/grpc"));
        }

        if (otlp)
        {
            telemetry.UseOtlpExporter();
        }

        if (!string.IsNullOrEmpty(appInsights))
        {
            // infra/ disables Application Insights' local auth: the app's identity sends instead
            // ("Authorization=AAD", as the Functions host reads it too).
            var credential = configuration["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"]?.Contains("Authorization=AAD", StringComparison.OrdinalIgnoreCase) == true
                ? new ManagedIdentityCredential(ManagedIdentityId.SystemAssigned)
                : null;
            telemetry.WithTracing(tracing => tracing.AddAzureMonitorTraceExporter(o => (o.ConnectionString, o.Credential) = (appInsights, credential)))
                .WithMetrics(metrics => metrics.AddAzureMonitorMetricExporter(o => (o.ConnectionString, o.Credential) = (appInsights, credential)));
        }

        return telemetry;
    }
}
