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
    private readonly ConcurrentDictionary<string, long> versions = new();
    private readonly ConcurrentDictionary<string, string> changeBeforeWrite = new();
    private long sequence;

    /// <summary>Targets whose revert is destructive: it asks for approval of its effect (by digest) first, as a DROP does.</summary>
    public ConcurrentDictionary<string, bool> Destructive { get; } = new();

    /// <summary>How many reverts were refused because the target changed after it was read (the 409 of a precondition).</summary>
    public int Conflicts => conflicts;

    private int conflicts;

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
        set
        {
            values[target] = value;
            versions.AddOrUpdate(target, 1, (_, v) => v + 1);
        }
    }

    /// <summary>Between the revert's read and its write, someone sets <paramref name="target"/> to <paramref name="value"/> (once).</summary>
    public void ChangeBeforeWrite(string target, string value) => changeBeforeWrite[target] = value;

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

    /// <summary>Reads the value with its version, which a write takes as its precondition (as a resourceVersion or an ETag).</summary>
    public Task<TargetObservation> ObserveAsync(StepObserveRequest request, CancellationToken cancellationToken)
    {
        lock (values)
        {
            var target = Name(request.Params);
            return Task.FromResult(new TargetObservation(State(this[target])) { Version = Version(target) });
        }
    }

    private string Version(string target) => versions.GetValueOrDefault(target).ToString(System.Globalization.CultureInfo.InvariantCulture);

    public Task<StepRevertResult> RevertAsync(StepRevertRequest request, CancellationToken cancellationToken)
    {
        var key = $"{request.RollbackId}:{request.StepId}";
        Starts.TryAdd(key, Interlocked.Increment(ref sequence));
        BeforeRevert?.Invoke(request.StepId);
        var target = Name(request.Params);
        var wanted = (string?)request.Captured?["value"] ?? "";
        if (Destructive.ContainsKey(target))
        {
            var effect = TargetState.Digest($"restore {target} to {wanted}");
            if (!request.Approved || request.PlanDigest != effect)
            {
                return Task.FromResult(StepRevertResult.NeedsApproval($"restoring {target} is destructive; effect sha256:{effect}", effect));
            }
        }

        var crash = crashOnce.TryRemove(target, out var afterWriting);
        if (crash && !afterWriting)
        {
            throw new InvalidOperationException($"stand-in crash before writing {target}");
        }

        if (changeBeforeWrite.TryRemove(target, out var meanwhile))
        {
            this[target] = meanwhile;
        }

        string detail;
        lock (values)
        {
            if (request.ObservedVersion is { } read && read != Version(target))
            {
                Interlocked.Increment(ref conflicts);
                throw new TargetChangedException($"{target} changed since it was read (version {read}, now {Version(target)})");
            }

            var from = this[target];
            if (from != wanted)
            {
                this[target] = wanted;
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
