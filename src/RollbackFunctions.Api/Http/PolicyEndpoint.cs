using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using RollbackFunctions.Api.Access;
using RollbackFunctions.Core.Correlation;
using RollbackFunctions.Core.Policy;

namespace RollbackFunctions.Api.Http;

/// <summary><c>GET /api/policy</c>: the guardrails, correlation labels and key names in force, never a secret.</summary>
public sealed class PolicyEndpoint(IOptions<PolicyOptions> policy, IOptions<CorrelationOptions> correlation, ApiAccess access)
{
    public IResult Get(HttpRequest request)
    {
        var (_, refusal) = access.Authorize(request, ApiRole.Reader);
        if (refusal is not null)
        {
            return refusal;
        }

        var p = policy.Value;
        return Results.Json(
            new
            {
                automaticRollbacks = new { max = p.MaxAutomaticRollbacks, window = p.AutomaticRollbackWindow },
                massAlert = new { services = p.MassAlertServices, window = p.MassAlertWindow },
                clockSkew = p.ClockSkew,
                defaultEnvironment = Describe(EnvironmentPolicy.Default),
                environments = p.Environments.ToDictionary(e => e.Key, e => Describe(e.Value)),
                correlation = new { serviceLabels = correlation.Value.ServiceLabels, environmentLabels = correlation.Value.EnvironmentLabels },
                keys = access.KeysInUse ? access.Describe() : null,
            },
            ApiJson.Replies);
    }

    private static object Describe(EnvironmentPolicy environment) =>
        new { autoRollback = environment.AutoRollback, requireApproval = environment.RequireApproval };
}
