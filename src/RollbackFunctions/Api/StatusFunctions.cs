using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using RollbackFunctions.Api.Http;

namespace RollbackFunctions.Api;

/// <summary>Operator-facing reads; each delegates to a shared handler.</summary>
public sealed class StatusFunctions(RollbackEndpoints rollbacks, HealthEndpoint health, PolicyEndpoint policy, AccessEndpoint access)
{
    [Function("ListRollbacks")]
    public Task<IResult> ListRollbacks(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "rollbacks")] HttpRequest request, CancellationToken cancellationToken) =>
        rollbacks.ListAsync(request, cancellationToken);

    [Function("GetRollbackAudit")]
    public Task<IResult> GetAudit(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "rollbacks/{rollbackId}/audit")] HttpRequest request, string rollbackId, CancellationToken cancellationToken) =>
        rollbacks.AuditAsync(request, rollbackId, cancellationToken);

    [Function("GetRollbackReport")]
    public Task<IResult> GetReport(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "rollbacks/{rollbackId}/report")] HttpRequest request, string rollbackId, CancellationToken cancellationToken) =>
        rollbacks.ReportAsync(request, rollbackId, cancellationToken);

    [Function("GetRollback")]
    public Task<IResult> GetRollback(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "rollbacks/{rollbackId}")] HttpRequest request, string rollbackId, CancellationToken cancellationToken) =>
        rollbacks.GetAsync(request, rollbackId, cancellationToken);

    [Function("GetPolicy")]
    public IResult GetPolicy([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "policy")] HttpRequest request) => policy.Get(request);

    [Function("GetAccess")]
    public IResult GetAccess([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "access")] HttpRequest request) => access.Get(request);

    // The ops page: HTML only, its script reads the API with the operator's key.
    [Function("OpsPage")]
    public IResult OpsPage([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "ui")] HttpRequest request) => Http.OpsPage.Serve(request);

    // Anonymous so load balancers and uptime checks can probe it; it reveals nothing but up/down.
    [Function("Health")]
    public Task<IResult> Health(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "health")] HttpRequest request,
        [DurableClient] DurableTaskClient durable,
        CancellationToken cancellationToken) =>
        health.GetAsync(durable, cancellationToken);
}
