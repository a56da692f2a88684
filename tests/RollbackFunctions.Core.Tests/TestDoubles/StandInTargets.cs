using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using RollbackFunctions.Core.Executors;
using RollbackFunctions.Core.Ports;

namespace RollbackFunctions.Core.Tests.TestDoubles;

/// <summary>One write a revert made to a stand-in target, with what the target held just before.</summary>
internal sealed record TargetWrite(string Target, string From, string To, string IdempotencyKey, long Sequence);

/// <summary>
/// Stand-in targets (a value per name: an image, a flag, a schema version) and the <c>target</c>
/// executor over them, implementing the three-state contract as a real executor does: it captures
/// the value at registration, reads it when asked, and restores it idempotently per
/// Idempotency-Key (<c>rollbackId:stepId</c>). It can crash a revert once, before or after writing.
/// </summary>
internal sealed class StandInTargets : IStepExecutor
{
    private readonly ConcurrentDictionary<string, string> values = new();
    private readonly ConcurrentDictionary<string, bool> crashOnce = new();
    private long sequence;

    public string Kind => "target";

    /// <summary>Every effective write, in order.</summary>
    public ConcurrentQueue<TargetWrite> Writes { get; } = new();

    /// <summary>When each revert (by Idempotency-Key) first started, in sequence numbers, to check order.</summary>
    public ConcurrentDictionary<string, long> Starts { get; } = new();

    /// <summary>When each revert (by Idempotency-Key) last finished.</summary>
    public ConcurrentDictionary<string, long> Ends { get; } = new();

    /// <summary>Called as each revert starts.</summary>
    public Action<string>? BeforeRevert { get; set; }

    public string this[string target]
    {
        get => values.GetValueOrDefault(target, "");
        set => values[target] = value;
    }

    /// <summary>The next revert of <paramref name="target"/> throws once: before writing, or after.</summary>
    public void CrashOnce(string target, bool afterWriting) => crashOnce[target] = afterWriting;

    /// <summary>The span of the one revert of a step, whatever the rollback.</summary>
    public (long Start, long End) Span(string stepId)
    {
        var key = Starts.Keys.Single(k => k.EndsWith($":{stepId}", StringComparison.Ordinal));
        return (Starts[key], Ends.GetValueOrDefault(key, long.MaxValue));
    }

    public string? ValidateParams(JsonObject parameters) => parameters["target"] is null ? "params.target is required" : null;

    public Task<StepPreparation> PrepareAsync(StepPrepareRequest request, CancellationToken cancellationToken)
    {
        var value = this[Name(request.Params)];
        return Task.FromResult(new StepPreparation(new JsonObject { ["value"] = value }) { Before = State(value) });
    }

    public Task<TargetObservation> ObserveAsync(StepObserveRequest request, CancellationToken cancellationToken) =>
        Task.FromResult(new TargetObservation(State(this[Name(request.Params)])));

    public Task<StepRevertResult> RevertAsync(StepRevertRequest request, CancellationToken cancellationToken)
    {
        var key = $"{request.RollbackId}:{request.StepId}";
        Starts.TryAdd(key, Interlocked.Increment(ref sequence));
        BeforeRevert?.Invoke(request.StepId);
        var target = Name(request.Params);
        var wanted = (string?)request.Captured?["value"] ?? "";
        var crash = crashOnce.TryRemove(target, out var afterWriting);
        if (crash && !afterWriting)
        {
            throw new InvalidOperationException($"stand-in crash before writing {target}");
        }

        string detail;
        lock (values)
        {
            var from = this[target];
            if (from != wanted)
            {
                values[target] = wanted;
                Writes.Enqueue(new TargetWrite(target, from, wanted, key, Interlocked.Increment(ref sequence)));
                detail = $"{target}: {from} -> {wanted}";
            }
            else
            {
                detail = $"{target} already {wanted}";
            }
        }

        if (crash)
        {
            throw new InvalidOperationException($"stand-in crash after writing {target}");
        }

        Ends[key] = Interlocked.Increment(ref sequence);
        return Task.FromResult(StepRevertResult.Reverted(detail));
    }

    public long Now => Interlocked.Read(ref sequence);

    private static string Name(JsonObject parameters) => (string?)parameters["target"] ?? "";

    private static TargetState State(string value) => TargetState.Of(("value", value));
}
