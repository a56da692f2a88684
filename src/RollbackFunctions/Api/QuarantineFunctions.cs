using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using RollbackFunctions.Api.Http;

namespace RollbackFunctions.Api;

/// <summary>Quarantined versions and artifacts; each delegates to <see cref="QuarantineEndpoints"/>.</summary>
public sealed class QuarantineFunctions(QuarantineEndpoints quarantine)
{
    [Function("ListQuarantine")]
    public Task<IResult> List(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "quarantine")] HttpRequest request, CancellationToken cancellationToken) =>
        quarantine.ListAsync(request, cancellationToken);

    [Function("ReleaseQuarantine")]
    public Task<IResult> Release(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "quarantine/release")] HttpRequest request, CancellationToken cancellationToken) =>
        quarantine.ReleaseAsync(request, cancellationToken);
}
