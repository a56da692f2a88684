using Microsoft.Extensions.Options;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Executors;
using RollbackFunctions.Core.Planning;
using RollbackFunctions.Core.Policy;
using RollbackFunctions.Core.Ports;

namespace RollbackFunctions.Api.Rollbacks;

/// <summary>
/// The rollback plan of a deploy as the API answers it (<see cref="RollbackPlanner"/> with the
/// environment's policy and the revert times of this service's past rollbacks), and whether the
/// gate's readiness requirement is met.
/// </summary>
public sealed class RollbackPlans(IDeployStore deploys, IRollbackStore rollbacks, StepExecutorCatalog executors, IOptions<PolicyOptions> policy, TimeProvider clock)
{
    public async Task<RollbackPlan> PlanAsync(DeployRecord deploy, CancellationToken cancellationToken) =>
        RollbackPlanner.Plan(
            deploy,
            PlanRules.For(policy.Value, deploy, step => executors.Find(step.Kind)?.AsksApprovalWhen(step.Params)),
            step => CapturedSummary.Of(step.Captured),
            await ExpectedAsync(deploy, cancellationToken));

    /// <summary>What the environment's readiness requirement still needs, or null when the gate may open.</summary>
    public async Task<string?> UnmetAsync(DeployRecord deploy, CancellationToken cancellationToken)
    {
        var environment = policy.Value.For(deploy.Environment);
        return environment.RequireReadiness == RequiredReadiness.None
            ? null
            : RollbackPlanner.Unmet(await PlanAsync(deploy, cancellationToken), deploy, environment.RequireReadiness, policy.Value.RehearsalMaxAge, clock.GetUtcNow());
    }

    /// <summary>
    /// Median seconds from start to finish of reverted steps, by kind, over the rollbacks of this
    /// service's recent deploys in this environment (the same bounded lookup correlation uses).
    /// </summary>
    private async Task<IReadOnlyDictionary<string, double>> ExpectedAsync(DeployRecord deploy, CancellationToken cancellationToken)
    {
        var past = (await deploys.FindAsync(deploy.Service, deploy.Environment, cancellationToken))
            .Where(d => d.RollbackId is not null && d.DeployId != deploy.DeployId).Select(d => d.RollbackId!).ToList();
        var steps = (await Task.WhenAll(past.Select(id => rollbacks.GetStepsAsync(id, cancellationToken)))).SelectMany(s => s);
        return steps
            .Where(s => s.Status == StepStatus.Reverted && s.StartedAt is not null && s.FinishedAt is not null)
            .GroupBy(s => s.Kind)
            .ToDictionary(g => g.Key, g => Median(g.Select(s => (s.FinishedAt!.Value - s.StartedAt!.Value).TotalSeconds)));
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        var middle = sorted.Count / 2;
        return Math.Round(sorted.Count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2, 3);
    }

}
