using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using RollbackFunctions.Api.Http;

namespace RollbackFunctions.Api;

/// <summary>On-call's levers on a running rollback; each delegates to <see cref="OperatorEndpoints"/>.</summary>
public sealed class OperatorFunctions(OperatorEndpoints operators)
{
    [Function("ApproveStep")]
    public Task<IResult> Approve(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "rollbacks/{rollbackId}/steps/{stepId}/approve")] HttpRequest request,
        string rollbackId,
        string stepId,
        [DurableClient] DurableTaskClient durable,
        CancellationToken cancellationToken) =>
        operators.DecideAsync(request, rollbackId, stepId, approve: true, durable, cancellationToken);

    [Function("RejectStep")]
    public Task<IResult> Reject(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "rollbacks/{rollbackId}/steps/{stepId}/reject")] HttpRequest request,
        string rollbackId,
        string stepId,
        [DurableClient] DurableTaskClient durable,
        CancellationToken cancellationToken) =>
        operators.DecideAsync(request, rollbackId, stepId, approve: false, durable, cancellationToken);

    [Function("ResumeGitOps")]
    public Task<IResult> ResumeGitOps(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "rollbacks/{rollbackId}/gitops/resume")] HttpRequest request,
        string rollbackId,
        CancellationToken cancellationToken) =>
        operators.ResumeGitOpsAsync(request, rollbackId, cancellationToken);

    [Function("AbortRollback")]
    public Task<IResult> Abort(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "rollbacks/{rollbackId}/abort")] HttpRequest request,
        string rollbackId,
        [DurableClient] DurableTaskClient durable,
        CancellationToken cancellationToken) =>
        operators.AbortAsync(request, rollbackId, durable, cancellationToken);
}
