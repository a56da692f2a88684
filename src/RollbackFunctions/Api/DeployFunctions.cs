using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using RollbackFunctions.Api.Http;

namespace RollbackFunctions.Api;

/// <summary>CI-facing triggers; each delegates to <see cref="DeployEndpoints"/> or <see cref="RollbackEndpoints"/>.</summary>
public sealed class DeployFunctions(DeployEndpoints deploys, RollbackEndpoints rollbacks)
{
    [Function("RegisterDeploy")]
    public Task<IResult> Register(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "deploys")] HttpRequest request,
        [DurableClient] DurableTaskClient durable,
        CancellationToken cancellationToken) =>
        deploys.RegisterAsync(request, durable, cancellationToken);

    [Function("ListDeploys")]
    public Task<IResult> List(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "deploys")] HttpRequest request, CancellationToken cancellationToken) =>
        deploys.ListAsync(request, cancellationToken);

    [Function("GetDeploy")]
    public Task<IResult> Get(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "deploys/{deployId}")] HttpRequest request, string deployId, CancellationToken cancellationToken) =>
        deploys.GetAsync(request, deployId, cancellationToken);

    [Function("ReportStep")]
    public Task<IResult> ReportStep(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "deploys/{deployId}/steps/{stepId}")] HttpRequest request,
        string deployId,
        string stepId,
        CancellationToken cancellationToken) =>
        deploys.ReportStepAsync(request, deployId, stepId, cancellationToken);

    [Function("CompleteDeploy")]
    public Task<IResult> Complete(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "deploys/{deployId}/complete")] HttpRequest request, string deployId, CancellationToken cancellationToken) =>
        deploys.CompleteAsync(request, deployId, cancellationToken);

    [Function("DeployGate")]
    public Task<IResult> Gate(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "deploys/{deployId}/gate")] HttpRequest request, string deployId, CancellationToken cancellationToken) =>
        deploys.GateAsync(request, deployId, cancellationToken);

    [Function("StartRollback")]
    public Task<IResult> StartRollback(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "deploys/{deployId}/rollback")] HttpRequest request,
        string deployId,
        [DurableClient] DurableTaskClient durable,
        CancellationToken cancellationToken) =>
        rollbacks.StartAsync(request, deployId, durable, cancellationToken);
}
