using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using RollbackFunctions.Core.Executors;
using RollbackFunctions.Core.Ports;

namespace RollbackFunctions.Core.Tests.TestDoubles;

/// <summary>
/// A <c>webhook</c> executor that records every call and answers as scripted per step: fail,
/// throw a number of times, or take a while.
/// </summary>
internal sealed class ScriptedExecutor(Journal? journal = null) : IStepExecutor
{
    private readonly ConcurrentQueue<(string StepId, DateTimeOffset At)> calls = new();
    private readonly ConcurrentDictionary<string, int> throwsLeft = new();

    public string Kind => "webhook";

    public HashSet<string> Failing { get; } = [];

    /// <summary>Steps this executor calls destructive: it reverts them only once approved.</summary>
    public HashSet<string> Destructive { get; } = [];

    public ConcurrentQueue<string> ApprovedCalls { get; } = new();

    /// <summary>Steps whose approval binds to a plan, by the digest of the plan they show: reverted only when approved with it.</summary>
    public ConcurrentDictionary<string, string> PlanBound { get; } = new();

    /// <summary>The plan digest each approved call carried, in order.</summary>
    public ConcurrentQueue<(string StepId, string? PlanDigest)> ApprovedPlans { get; } = new();

    public Dictionary<string, TimeSpan> Delays { get; } = [];

    /// <summary>Called as each revert starts, to observe the world at that moment.</summary>
    public Action<string>? BeforeRevert { get; set; }

    /// <summary>When each step's last call finished.</summary>
    public ConcurrentDictionary<string, DateTimeOffset> FinishedAt { get; } = new();

    public IReadOnlyList<string> Calls => calls.Select(c => c.StepId).ToList();

    /// <summary>When each step's first call started.</summary>
    public IReadOnlyDictionary<string, DateTimeOffset> FirstCallAt =>
        calls.GroupBy(c => c.StepId).ToDictionary(g => g.Key, g => g.Min(c => c.At));

    public void ThrowTimes(string stepId, int times) => throwsLeft[stepId] = times;

    /// <summary>Appended to every detail, as a tool or receiver that echoes what it was given.</summary>
    public string Echo { get; set; } = "";

    public string? ValidateParams(JsonObject parameters) =>
        parameters.ContainsKey("revertUrl") ? null : "webhook steps need params.revertUrl";

    public async Task<StepRevertResult> RevertAsync(StepRevertRequest request, CancellationToken cancellationToken)
    {
        calls.Enqueue((request.StepId, DateTimeOffset.UtcNow));
        journal?.Write($"revert:{request.StepId}");
        if (request.Approved)
        {
            ApprovedCalls.Enqueue(request.StepId);
            ApprovedPlans.Enqueue((request.StepId, request.PlanDigest));
        }

        if (PlanBound.TryGetValue(request.StepId, out var plan) && request.PlanDigest != plan)
        {
            return StepRevertResult.NeedsApproval($"{request.StepId} would delete things; plan sha256:{plan}", plan);
        }

        if (Destructive.Contains(request.StepId) && !request.Approved)
        {
            return StepRevertResult.NeedsApproval($"{request.StepId} would destroy data{Echo}");
        }

        BeforeRevert?.Invoke(request.StepId);
        if (Delays.TryGetValue(request.StepId, out var delay))
        {
            await Task.Delay(delay, cancellationToken);
        }

        if (throwsLeft.TryGetValue(request.StepId, out var left) && left > 0)
        {
            throwsLeft[request.StepId] = left - 1;
            throw new InvalidOperationException($"scripted crash of {request.StepId}");
        }

        FinishedAt[request.StepId] = DateTimeOffset.UtcNow;
        return Failing.Contains(request.StepId)
            ? StepRevertResult.Failed($"scripted failure of {request.StepId}{Echo}")
            : StepRevertResult.Reverted($"reverted {request.StepId}{Echo}");
    }
}
