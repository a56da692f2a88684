using System.Diagnostics.CodeAnalysis;
using Microsoft.AspNetCore.Http;
using RollbackFunctions.Api.Http;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Ports;

namespace RollbackFunctions.Api.Access;

/// <summary>
/// Holds a scoped key (<see cref="KeyScope"/>) to the deploys and rollbacks a route names: one
/// check for every handler that names a deploy or rollback. A scoped key acts only on what it can
/// prove is in its scope: a deploy that is gone (retention, a claim without a deploy) proves
/// nothing, so it is refused. The refusal is the very 404 a missing deploy or rollback gets, so a
/// key learns nothing of what exists outside its scope (not even its service). An unscoped key
/// costs no read.
/// </summary>
public sealed class ScopeGuard(IDeployStore deploys, IRollbackStore rollbacks)
{
    /// <summary>The 404 to send when <paramref name="caller"/> may not act on <paramref name="deployId"/>; null when it may, or the key is unscoped (the handler says 404 itself when there is no such deploy).</summary>
    public async Task<IResult?> RefuseDeployAsync(Caller caller, string deployId, CancellationToken cancellationToken) =>
        caller.Scope.IsAll ? null
        : Permits(caller, Identifiers.IsValid(deployId) ? await deploys.GetAsync(deployId, cancellationToken) : null) ? null
        : DeployNotFound(deployId);

    /// <summary>
    /// For a deploy the handler has read already: whether it exists and <paramref name="caller"/> may
    /// act on it. Otherwise answer <see cref="DeployNotFound"/>, for a missing one and one outside the key's scope alike.
    /// </summary>
    public static bool Permits(Caller caller, [NotNullWhen(true)] DeployRecord? deploy) =>
        deploy is not null && caller.Permits(deploy.Service, deploy.Environment);

    /// <summary>The same for the deploy a rollback reverts; a rollback whose deploy is gone is refused to a scoped key.</summary>
    public async Task<IResult?> RefuseRollbackAsync(Caller caller, string rollbackId, CancellationToken cancellationToken)
    {
        if (caller.Scope.IsAll)
        {
            return null;
        }

        var head = Identifiers.IsValidRollbackId(rollbackId) ? await rollbacks.GetAsync(rollbackId, cancellationToken) : null;
        var deploy = head is null ? null : await deploys.GetAsync(head.DeployId, cancellationToken);
        return Permits(caller, deploy) ? null : RollbackNotFound(rollbackId);
    }

    /// <summary>Whether <paramref name="caller"/> may see the rollback of <paramref name="deployId"/> in a list.</summary>
    public async Task<bool> PermitsAsync(Caller caller, string deployId, CancellationToken cancellationToken) =>
        await RefuseDeployAsync(caller, deployId, cancellationToken) is null;

    /// <summary>What every route answers for a deploy that does not exist.</summary>
    public static IResult DeployNotFound(string deployId) => Problems.NotFound($"no deploy {deployId}");

    /// <summary>What every route answers for a rollback that does not exist.</summary>
    public static IResult RollbackNotFound(string rollbackId) => Problems.NotFound($"no rollback {rollbackId}");
}
