using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using RollbackFunctions.Api.Http;

namespace RollbackFunctions.Api;

/// <summary>The impact figures; delegates to the shared handler.</summary>
public sealed class InsightsFunctions(InsightsEndpoint insights)
{
    [Function("GetInsights")]
    public Task<IResult> GetInsights(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "insights")] HttpRequest request, CancellationToken cancellationToken) =>
        insights.GetAsync(request, cancellationToken);
}
