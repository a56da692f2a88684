using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using RollbackFunctions.Api.Http;

namespace RollbackFunctions.Api;

/// <summary>A deploy's rollback plan, rehearsal and readiness waiver; each delegates to <see cref="PlanEndpoints"/>.</summary>
public sealed class PlanFunctions(PlanEndpoints plans)
{
    [Function("GetDeployPlan")]
    public Task<IResult> Get(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "deploys/{deployId}/plan")] HttpRequest request, string deployId, CancellationToken cancellationToken) =>
        plans.GetAsync(request, deployId, cancellationToken);

    [Function("RehearseDeploy")]
    public Task<IResult> Rehearse(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "deploys/{deployId}/rehearse")] HttpRequest request, string deployId, CancellationToken cancellationToken) =>
        plans.RehearseAsync(request, deployId, cancellationToken);

    [Function("WaiveReadiness")]
    public Task<IResult> Waive(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "deploys/{deployId}/waive")] HttpRequest request, string deployId, CancellationToken cancellationToken) =>
        plans.WaiveAsync(request, deployId, cancellationToken);
}
