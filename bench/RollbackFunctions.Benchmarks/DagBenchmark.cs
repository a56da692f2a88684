using System.Diagnostics;
using System.Text.Json.Nodes;

/// <summary>
/// What the reverse DAG itself costs: a deploy of <c>steps</c> webhook steps in <c>levels</c>
/// levels, each step depending on every step of the level before; the receiver answers at once, so
/// the time from the first revert to the last is the orchestration's own overhead (activities,
/// progress records, fan-out and fan-in per level).
/// </summary>
internal static class DagBenchmark
{
    public static async Task<IReadOnlyList<Figure>> RunAsync(int steps, int levels)
    {
        await using var bench = await BenchRuntime.StartAsync([]);
        var perLevel = steps / levels;
        var deployId = $"dag-{Guid.NewGuid():N}"[..16];
        var graph = new JsonArray();
        for (var i = 0; i < steps; i++)
        {
            var level = i / perLevel;
            var dependsOn = level == 0 ? [] : Enumerable.Range((level - 1) * perLevel, perLevel).Select(d => (JsonNode)$"s{d}").ToArray();
            graph.Add(new JsonObject
            {
                ["id"] = $"s{i}",
                ["kind"] = "webhook",
                ["dependsOn"] = new JsonArray(dependsOn),
                ["params"] = new JsonObject { ["revertUrl"] = $"{bench.ReceiverUrl}/revert/{deployId}-s{i}" },
            });
        }

        var deploy = new JsonObject { ["deployId"] = deployId, ["service"] = "dag", ["environment"] = "bench", ["version"] = "2", ["steps"] = graph };
        await bench.PostAsync("/api/deploys", deploy.ToJsonString());
        await bench.PostAsync($"/api/deploys/{deployId}/complete", "{}");

        var sent = Stopwatch.GetTimestamp();
        await bench.PostAsync("/api/alerts/alertmanager", IntakeBenchmark.AlertmanagerGroup("dag", "bench", "dag", 1));
        var arrivals = new List<long>();
        for (var i = 0; i < steps; i++)
        {
            arrivals.Add(await bench.ArrivalAsync($"revert:{deployId}-s{i}"));
        }

        var first = arrivals.Min();
        var last = arrivals.Max();
        var overhead = Stopwatch.GetElapsedTime(first, last).TotalMilliseconds;
        Console.WriteLine($"alert -> first revert {Figure.Ms(Stopwatch.GetElapsedTime(sent, first).TotalMilliseconds)}, first -> last of {steps} reverts in {levels} levels {Figure.Ms(overhead)}, {Figure.Ms(overhead / (levels - 1))} per level");
        return [new Figure($"reverse-DAG overhead, {steps} no-op steps in {levels} levels (first revert -> last)", $"{Figure.Ms(overhead)} ({Figure.Ms(overhead / (levels - 1))} per level)", "≤ 60 ms per level (50 / 10: ≤ 0.6 s)", overhead / (levels - 1) <= 60)];
    }
}
