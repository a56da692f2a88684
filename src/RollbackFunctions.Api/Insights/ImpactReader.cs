using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Insights;
using RollbackFunctions.Core.Ports;

namespace RollbackFunctions.Api.Insights;

/// <summary>
/// Reads what the impact figures of a period are computed from: the deploys registered and the
/// rollbacks claimed in it (through the stores' day indexes), each rollback's step rows, and the
/// deploy a rollback reverts when it was registered before the period. The cost is bounded by the
/// period (at most 90 days) and by <see cref="MaxDeploys"/> and <see cref="MaxRollbacks"/>.
/// </summary>
public sealed class ImpactReader(IDeployStore deploys, IRollbackStore rollbacks)
{
    /// <summary>The newest deploys a period counts; far beyond a team's 90 days, and a bound on a request's reads.</summary>
    public const int MaxDeploys = 5000;

    /// <summary>The newest rollbacks a period counts.</summary>
    public const int MaxRollbacks = 1000;

    /// <summary>How many rollbacks' rows are read at once.</summary>
    private const int ReadsInParallel = 16;

    /// <summary>
    /// One computation at a time in a process: a reader key (or many open Impact views) cannot
    /// multiply the storage reads of the period while a rollback needs the same storage.
    /// </summary>
    private readonly SemaphoreSlim oneAtATime = new(1, 1);

    /// <summary>The figures of [<paramref name="from"/>, <paramref name="to"/>], of what <paramref name="permits"/> lets the caller see.</summary>
    public async Task<InsightsReply> ReadAsync(DateTimeOffset from, DateTimeOffset to, string? service, string? environment, Func<string, string, bool> permits, CancellationToken cancellationToken, bool perService = true)
    {
        await oneAtATime.WaitAsync(cancellationToken);
        try
        {
            return await ComputeAsync(from, to, service, environment, permits, cancellationToken, perService);
        }
        finally
        {
            oneAtATime.Release();
        }
    }

    private async Task<InsightsReply> ComputeAsync(DateTimeOffset from, DateTimeOffset to, string? service, string? environment, Func<string, string, bool> permits, CancellationToken cancellationToken, bool perService)
    {
        var registered = (await deploys.ListRegisteredAsync(from, to, service, environment, MaxDeploys, cancellationToken))
            .Where(d => permits(d.Service, d.Environment)).ToList();
        var byId = registered.ToDictionary(d => d.DeployId, StringComparer.Ordinal);
        var heads = await rollbacks.ListClaimedAsync(from, to, MaxRollbacks, cancellationToken);
        var impacts = new RollbackImpact?[heads.Count];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, heads.Count),
            new ParallelOptions { MaxDegreeOfParallelism = ReadsInParallel, CancellationToken = cancellationToken },
            async (i, ct) =>
            {
                var head = heads[i];
                var deploy = byId.GetValueOrDefault(head.DeployId) ?? await deploys.GetAsync(head.DeployId, ct);
                if (deploy is not null && Selected(deploy, service, environment) && permits(deploy.Service, deploy.Environment))
                {
                    impacts[i] = RollbackImpact.Of(deploy, head, await rollbacks.GetStepsAsync(head.RollbackId, ct));
                }
            });

        return ImpactFigures.Of(from, to, registered, impacts.OfType<RollbackImpact>().ToList(), perService);
    }

    private static bool Selected(DeployRecord deploy, string? service, string? environment) =>
        (service is null || deploy.Service == service) && (environment is null || deploy.Environment == environment);
}
