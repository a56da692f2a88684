using System.Text.Json.Nodes;
using RollbackFunctions.Core.Deploys;

namespace RollbackFunctions.Core.Executors;

/// <summary>What an executor needs to revert one step.</summary>
public sealed record StepRevertRequest(
    string RollbackId,
    string DeployId,
    string StepId,
    string Kind,
    JsonObject Params,
    string Version,
    string? PreviousVersion)
{
    /// <summary>An operator approved this revert; an executor may then run what it calls destructive.</summary>
    public bool Approved { get; init; }

    /// <summary>What the executor captured at registration (<see cref="Deploys.DeployStep.Captured"/>).</summary>
    public JsonObject? Captured { get; init; }

    /// <summary>
    /// How long the executor may wait for the layer to be back (a rollout to finish, helm to
    /// return): the step's deadline, so the wait ends with a precise detail rather than a page.
    /// </summary>
    public TimeSpan WaitLimit { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// When the step's deadline passes (all attempts included); null from older instances. Work an
    /// executor starts (a terraform apply) must end before it, stopping included.
    /// </summary>
    public DateTimeOffset? DeadlineAt { get; init; }

    /// <summary>
    /// The digest of the plan or effect the operator approved (<see cref="StepRevertResult.PlanDigest"/>
    /// of the answer that asked): an executor that binds approvals runs exactly that, or asks again.
    /// </summary>
    public string? PlanDigest { get; init; }

    /// <summary>How long is left until <see cref="DeadlineAt"/> (or <see cref="WaitLimit"/> when not known).</summary>
    public TimeSpan Remaining(DateTimeOffset now) => DeadlineAt is { } at ? at - now : WaitLimit;

    /// <summary>The target's state before the deploy, kept at registration (<see cref="Deploys.DeployStep.Before"/>).</summary>
    public TargetState? Before { get; init; }

    /// <summary>The state the deploy made, kept when CI reported the step applied (<see cref="Deploys.DeployStep.After"/>).</summary>
    public TargetState? After { get; init; }

    /// <summary>The step was in flight at the halt (SAFETY.md 2): reverted when its target differs from before.</summary>
    public bool MaybeApplied { get; init; }

    /// <summary>An operator approved restoring the state from before the deploy over a drift.</summary>
    public bool OverrideDrift { get; init; }

    /// <summary>
    /// The version of the target the three-state rule judged (<see cref="TargetObservation.Version"/>):
    /// the executor's write carries it as a precondition and throws <see cref="TargetChangedException"/>
    /// when the target refuses it. Null when the target was not read or has no version.
    /// </summary>
    public string? ObservedVersion { get; init; }

    /// <summary>The step's revert level in the plan, for its row on the rollback; -1 when not known (older instances).</summary>
    public int Level { get; init; } = -1;
}

/// <summary>How a revert ended.</summary>
public enum RevertOutcome
{
    /// <summary>The step is back at its previous state.</summary>
    Reverted,

    /// <summary>The revert did not happen; <see cref="StepRevertResult.Detail"/> says why.</summary>
    Failed,

    /// <summary>
    /// The executor found the revert destructive (a Terraform destroy, a DROP) and did nothing;
    /// it runs only once an operator approves.
    /// </summary>
    NeedsApproval,

    /// <summary>The target already held the state from before the deploy: nothing was written.</summary>
    Unchanged,

    /// <summary>
    /// The target holds neither the state from before the deploy nor the one it made: nothing was
    /// written; an operator decides (<see cref="StepRevertResult.Detail"/> sums up the three states).
    /// </summary>
    Drift,

    /// <summary>
    /// The change was made but the layer did not come back in time (a rollout that never became
    /// available); waiting longer or retrying will not help.
    /// </summary>
    TimedOut,
}

/// <summary>Result of one revert attempt.</summary>
public sealed record StepRevertResult(RevertOutcome Outcome, string Detail)
{
    /// <summary>
    /// With <see cref="RevertOutcome.NeedsApproval"/>: the SHA-256 of the exact plan or effect shown
    /// in <see cref="Detail"/>. An approval must name it (<c>planDigest</c>) and the executor then runs
    /// exactly that (SAFETY.md 3); null when the approval is not bound to a plan.
    /// </summary>
    public string? PlanDigest { get; init; }

    /// <summary>Destructive: nothing was done; an operator must approve the plan or effect with this digest.</summary>
    public static StepRevertResult NeedsApproval(string detail, string planDigest) => new(RevertOutcome.NeedsApproval, detail) { PlanDigest = planDigest };

    public static StepRevertResult Reverted(string detail) => new(RevertOutcome.Reverted, detail);
    public static StepRevertResult Failed(string detail) => new(RevertOutcome.Failed, detail);
    public static StepRevertResult NeedsApproval(string detail) => new(RevertOutcome.NeedsApproval, detail);
    public static StepRevertResult TimedOut(string detail) => new(RevertOutcome.TimedOut, detail);
    public static StepRevertResult Unchanged(string detail) => new(RevertOutcome.Unchanged, detail);
    /// <summary>
    /// Drift: the answer carries a digest of what was shown, so only an approval of this drift (one
    /// that names it) restores over it, never an approval given earlier for something else.
    /// </summary>
    /// <param name="detail">The three states, as the operator reads them.</param>
    /// <param name="state">The <see cref="TargetState.Fingerprint"/> of the state found, when read: two drifts the sentence cannot tell apart (hidden values) get different digests.</param>
    public static StepRevertResult Drifted(string detail, string? state = null) =>
        new(RevertOutcome.Drift, detail) { PlanDigest = TargetState.Digest(state is null ? $"drift\n{detail}" : $"drift\n{detail}\n{state}") };

    /// <summary>The step's status after this result: the one mapping from executor outcome to step status.</summary>
    public StepStatus StepStatus => Outcome switch
    {
        RevertOutcome.Reverted => StepStatus.Reverted,
        RevertOutcome.NeedsApproval or RevertOutcome.Drift => StepStatus.AwaitingApproval,
        RevertOutcome.Unchanged => StepStatus.Unchanged,
        RevertOutcome.TimedOut => StepStatus.TimedOut,
        _ => StepStatus.RevertFailed,
    };
}

/// <summary>
/// A revert could not reach its target after the executor's own retries (network, 5xx, 429):
/// thrown, so the Durable retry runs the whole step again; expected failures are outcomes instead.
/// </summary>
public sealed class StepUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// The target refused the revert's write because it changed since it was read and judged (a
/// Kubernetes 409 Conflict on the resourceVersion precondition, a 412 on If-Match): nothing was
/// written; the revert reads and judges again.
/// </summary>
public sealed class TargetChangedException(string message, Exception? inner = null) : Exception(message, inner);
