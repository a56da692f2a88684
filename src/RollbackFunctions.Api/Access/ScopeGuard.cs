using Microsoft.AspNetCore.Http;
using RollbackFunctions.Api.Http;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Ports;

namespace RollbackFunctions.Api.Access;

/// <summary>
/// Holds a scoped key (<see cref="KeyScope"/>) to the deploys and rollbacks a route names: one
/// check for every handler that reads a deploy only to find its service and environment. An
/// unscoped key costs no read.
/// </summary>
public sealed class ScopeGuard(IDeployStore deploys, IRollbackStore rollbacks)
{
    /// <summary>The 403 to send when <paramref name="caller"/> may not act on <paramref name="deployId"/>; null when it may, or when there is no such deploy (the handler says 404).</summary>
    public async Task<IResult?> RefuseDeployAsync(Caller caller, string deployId, CancellationToken cancellationToken)
    {
        if (caller.Scope.IsAll || !Identifiers.IsValid(deployId))
        {
            return null;
        }

        return await deploys.GetAsync(deployId, cancellationToken) is { } deploy && !caller.Permits(deploy.Service, deploy.Environment)
            ? Problems.OutOfScope(deploy.Service, deploy.Environment)
            : null;
    }

    /// <summary>The same for the deploy a rollback reverts.</summary>
    public async Task<IResult?> RefuseRollbackAsync(Caller caller, string rollbackId, CancellationToken cancellationToken)
    {
        if (caller.Scope.IsAll || !Identifiers.IsValidRollbackId(rollbackId))
        {
            return null;
        }

        return await rollbacks.GetAsync(rollbackId, cancellationToken) is { } head
            ? await RefuseDeployAsync(caller, head.DeployId, cancellationToken)
            : null;
    }

    /// <summary>Whether <paramref name="caller"/> may see the rollback of <paramref name="deployId"/> in a list.</summary>
    public async Task<bool> PermitsAsync(Caller caller, string deployId, CancellationToken cancellationToken) =>
        await RefuseDeployAsync(caller, deployId, cancellationToken) is null;
}
