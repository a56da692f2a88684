using System.Collections.Concurrent;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Ports;

namespace RollbackFunctions.Core.Tests.TestDoubles;

/// <summary>
/// GitOps controllers whose holds succeed, fail, or are undone by an ApplicationSet between one hold
/// and the next (the adapter's own behaviour is tested against the fake Kubernetes API server).
/// </summary>
internal sealed class ScriptedGitOps(Journal journal) : IGitOpsControllers
{
    private readonly ConcurrentDictionary<string, int> holds = new();

    /// <summary>Objects (by name) whose hold fails.</summary>
    public HashSet<string> Failing { get; } = [];

    /// <summary>Objects (by name) whose hold something undoes after every hold: each later hold finds it undone.</summary>
    public HashSet<string> UndoneAfterEachHold { get; } = [];

    /// <summary>Every hold: object name and rollback id.</summary>
    public ConcurrentQueue<(string Name, string RollbackId)> Holds { get; } = new();

    public Task<GitOpsOutcome> HoldAsync(GitOpsTarget target, string rollbackId, CancellationToken cancellationToken)
    {
        Holds.Enqueue((target.Name, rollbackId));
        journal.Write($"hold:{target.Name}");
        var count = holds.AddOrUpdate(target.Name, 1, (_, n) => n + 1);
        return Task.FromResult(
            Failing.Contains(target.Name) ? new GitOpsOutcome(target, false, "the API server answered 403")
            : UndoneAfterEachHold.Contains(target.Name) && count > 1 ? new GitOpsOutcome(target, true, "held again", Reheld: true)
            : new GitOpsOutcome(target, true, "automated sync off"));
    }

    public Task<GitOpsOutcome> ResumeAsync(GitOpsTarget target, string rollbackId, CancellationToken cancellationToken) =>
        Task.FromResult(new GitOpsOutcome(target, true, "restored"));
}
