using System.Collections.Concurrent;
using RollbackFunctions.Core.Ports;
using RollbackFunctions.Core.Verification;

namespace RollbackFunctions.Core.Tests.TestDoubles;

/// <summary>A metric source that answers from a script, then repeats its last answer.</summary>
internal sealed class ScriptedMetricSource : IMetricSource
{
    private readonly ConcurrentQueue<MetricQueryResult> script = new();
    private MetricQueryResult last = new([], null);

    public string Name => "prometheus";

    public int Queries { get; private set; }

    /// <summary>An answer that is a fault of the source itself: the query throws this (a resilience pipeline's open circuit, a parser's missing key).</summary>
    public static MetricQueryResult Throws(Exception fault)
    {
        var marker = new MetricQueryResult([], $"throws {fault.GetType().Name}");
        Faults.Add(marker, fault);
        return marker;
    }

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<MetricQueryResult, Exception> Faults = new();

    public static MetricQueryResult Value(double value) => new([new MetricSample(new Dictionary<string, string> { ["job"] = "checkout" }, value)], null);

    public ScriptedMetricSource Then(params MetricQueryResult[] answers)
    {
        foreach (var answer in answers)
        {
            script.Enqueue(answer);
        }

        return this;
    }

    /// <summary>Fixed answers for particular queries (a canary gone after the rollback); every other query follows the script.</summary>
    public ConcurrentDictionary<string, MetricQueryResult> ByQuery { get; } = new();

    public Task<MetricQueryResult> QueryAsync(string query, CancellationToken cancellationToken)
    {
        Queries++;
        if (ByQuery.TryGetValue(query, out var fixedAnswer))
        {
            return Task.FromResult(fixedAnswer);
        }

        if (script.TryDequeue(out var next))
        {
            last = next;
        }

        return Faults.TryGetValue(last, out var fault) ? Task.FromException<MetricQueryResult>(fault) : Task.FromResult(last);
    }
}
