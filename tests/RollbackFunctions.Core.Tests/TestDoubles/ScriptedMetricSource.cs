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

    public static MetricQueryResult Value(double value) => new([new MetricSample(new Dictionary<string, string> { ["job"] = "checkout" }, value)], null);

    public ScriptedMetricSource Then(params MetricQueryResult[] answers)
    {
        foreach (var answer in answers)
        {
            script.Enqueue(answer);
        }

        return this;
    }

    public Task<MetricQueryResult> QueryAsync(string query, CancellationToken cancellationToken)
    {
        Queries++;
        if (script.TryDequeue(out var next))
        {
            last = next;
        }

        return Task.FromResult(last);
    }
}
