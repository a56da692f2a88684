namespace RollbackFunctions.Core.Deploys;

/// <summary>
/// A GitOps object that manages a deploy (registration field <c>gitops</c>): an Argo CD Application,
/// or a Flux Kustomization or HelmRelease. The rollback holds it before reverting, so the controller
/// does not undo the revert at its next sync.
/// </summary>
/// <param name="Controller"><c>argocd</c> or <c>flux</c>.</param>
/// <param name="Cluster">A configured cluster name (<c>Rollback:Executors:Kubernetes:Clusters</c>).</param>
/// <param name="Namespace">Where the object lives (<c>argocd</c> for Applications, usually).</param>
/// <param name="Name">The object's name.</param>
/// <param name="Kind">Flux only: <c>Kustomization</c> or <c>HelmRelease</c>.</param>
/// <param name="Manages">
/// The clusters the object deploys to when they are not its own (Argo CD on <c>mgmt</c> managing
/// <c>prod</c>): a failed hold blocks the steps on these too.
/// </param>
public sealed record GitOpsTarget(string Controller, string Cluster, string Namespace, string Name, string? Kind = null, IReadOnlyList<string>? Manages = null)
{
    public const string ArgoCd = "argocd";
    public const string Flux = "flux";

    /// <summary>Every cluster whose steps the controller would undo: its own and those it manages.</summary>
    public IReadOnlyList<string> AffectedClusters() => [.. new[] { Cluster }.Concat(Manages ?? []).Distinct(StringComparer.Ordinal)];

    /// <summary>"Argo CD Application argocd/payments-api on prod", for pages and details.</summary>
    public override string ToString() =>
        $"{(Controller == ArgoCd ? "Argo CD Application" : $"Flux {Kind}")} {Namespace}/{Name} on {Cluster}";
}

/// <summary>What holding or resuming one GitOps object did.</summary>
/// <param name="Target">The object.</param>
/// <param name="Done">Held (or resumed); false when it could not be.</param>
/// <param name="Detail">What was there before and what is there now, or why not.</param>
/// <param name="Reheld">
/// The hold had been undone since this rollback held it (an ApplicationSet or a parent Application
/// turned auto-sync back on) and was applied again.
/// </param>
public sealed record GitOpsOutcome(GitOpsTarget Target, bool Done, string Detail, bool Reheld = false);
