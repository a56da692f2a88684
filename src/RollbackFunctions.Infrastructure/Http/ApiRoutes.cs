using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.DurableTask.Client;

namespace RollbackFunctions.Infrastructure.Http;

/// <summary>
/// The API's route table for hosts that map routes themselves (the local runtime). The Functions
/// app declares the same routes with triggers; a test keeps the two identical.
/// </summary>
public static class ApiRoutes
{
    /// <summary>Route prefix, the Functions default.</summary>
    public const string Prefix = "api";

    public static IEndpointRouteBuilder MapRollbackApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup(Prefix);
        api.MapPost("deploys", (HttpRequest r, DeployEndpoints e, CancellationToken ct) => e.RegisterAsync(r, ct));
        api.MapGet("deploys/{deployId}", (string deployId, DeployEndpoints e, CancellationToken ct) => e.GetAsync(deployId, ct));
        api.MapPost("deploys/{deployId}/steps/{stepId}", (HttpRequest r, string deployId, string stepId, DeployEndpoints e, CancellationToken ct) => e.ReportStepAsync(r, deployId, stepId, ct));
        api.MapPost("deploys/{deployId}/complete", (string deployId, DeployEndpoints e, CancellationToken ct) => e.CompleteAsync(deployId, ct));
        api.MapGet("deploys/{deployId}/gate", (string deployId, DeployEndpoints e, CancellationToken ct) => e.GateAsync(deployId, ct));
        api.MapPost("deploys/{deployId}/rollback", (HttpRequest r, string deployId, RollbackEndpoints e, DurableTaskClient d, CancellationToken ct) => e.StartAsync(r, deployId, d, ct));
        api.MapPost("alerts/alertmanager", (HttpRequest r, AlertEndpoints e, DurableTaskClient d, CancellationToken ct) => e.AlertmanagerAsync(r, d, ct));
        api.MapPost("alerts/datadog", (HttpRequest r, AlertEndpoints e, DurableTaskClient d, CancellationToken ct) => e.DatadogAsync(r, d, ct));
        api.MapGet("rollbacks/{rollbackId}", (string rollbackId, RollbackEndpoints e, CancellationToken ct) => e.GetAsync(rollbackId, ct));
        api.MapGet("health", (HealthEndpoint e, DurableTaskClient d, CancellationToken ct) => e.GetAsync(d, ct));
        return app;
    }
}
