using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using RollbackFunctions.Api.Access;
using RollbackFunctions.Core.Correlation;
using RollbackFunctions.Core.Policy;

namespace RollbackFunctions.Api.Http;

/// <summary><c>GET /api/policy</c>: the guardrails and correlation labels in force, and what the calling key may do; never a secret, nothing of other keys.</summary>
public sealed class PolicyEndpoint(IOptions<PolicyOptions> policy, IOptions<CorrelationOptions> correlation, ApiAccess access)
{
    public IResult Get(HttpRequest request)
    {
        var (caller, refusal) = access.Authorize(request, ApiRole.Reader);
        if (refusal is not null)
        {
            return refusal;
        }

        var p = policy.Value;
        return Results.Json(
            new PolicyReply(
                new RollbackLimit(p.MaxAutomaticRollbacks, p.AutomaticRollbackWindow),
                new MassAlertLimit(p.MassAlertServices, p.MassAlertWindow),
                p.ClockSkew,
                Describe(EnvironmentPolicy.Default),
                p.Environments.ToDictionary(e => e.Key, e => Describe(e.Value)),
                new CorrelationLabels(correlation.Value.ServiceLabels, correlation.Value.EnvironmentLabels),
                access.Describe(caller!)),
            ApiJson.Replies);
    }

    private static EnvironmentRules Describe(EnvironmentPolicy environment) => new(environment.AutoRollback, environment.RequireApproval);
}

/// <summary>The guardrails in force; <c>key</c> is the calling key (null on a runtime without keys).</summary>
public sealed record PolicyReply(
    RollbackLimit AutomaticRollbacks,
    MassAlertLimit MassAlert,
    TimeSpan ClockSkew,
    EnvironmentRules DefaultEnvironment,
    IReadOnlyDictionary<string, EnvironmentRules> Environments,
    CorrelationLabels Correlation,
    KeyView? Key);

/// <summary>An API key as its holder may see it: name, roles, and the services and environments it is scoped to (empty: all).</summary>
public sealed record KeyView(string Name, IReadOnlyList<string> Roles, IReadOnlyList<string> Services, IReadOnlyList<string> Environments);

/// <summary>At most <c>max</c> automatic rollbacks within <c>window</c>.</summary>
public sealed record RollbackLimit(int Max, TimeSpan Window);

/// <summary>Alerts from <c>services</c> or more services within <c>window</c> hold automatic rollbacks.</summary>
public sealed record MassAlertLimit(int Services, TimeSpan Window);

/// <summary>What an environment allows: automatic rollback, and the step kinds whose revert waits for an operator.</summary>
public sealed record EnvironmentRules(bool AutoRollback, IReadOnlyList<string> RequireApproval);

/// <summary>The alert labels read as service and environment, in order.</summary>
public sealed record CorrelationLabels(IReadOnlyList<string> ServiceLabels, IReadOnlyList<string> EnvironmentLabels);
