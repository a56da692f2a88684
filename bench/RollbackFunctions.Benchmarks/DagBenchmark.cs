using System.Diagnostics;
using System.Text.Json.Nodes;

/// <summary>
/// What the reverse DAG itself costs: a deploy of <c>steps</c> webhook steps in <c>levels</c>
/// levels, each step depending on every step of the level before; the receiver answers at once, so
/// the time from the first revert to the last is the orchestration's own overhead (activities,
/// progress records, fan-out and fan-in per level). Each run is followed, on the same Azurite and
/// machine, by the engine's floor (<see cref="EngineFloor"/>): the same shape of no-op activities,
/// bare and with a deadline timer per activity as the product has.
/// </summary>
internal static class DagBenchmark
{
    public static async Task<IReadOnlyList<Figure>> RunAsync(int steps, int levels, int runs)
    {
        await using var bench = await BenchRuntime.StartAsync([], countTableRequests: true);
        await using var floor = await EngineFloor.StartAsync(bench.ConnectionString);
        var ours = new List<double>();
        var bare = new List<double>();
        var timed = new List<double>();
        for (var run = 0; run < runs; run++)
        {
            // Table requests (storage round trips, from both engines' polling too) per step, beside the times.
            var (overhead, requests) = await ProductAsync(bench, steps, levels);
            ours.Add(overhead / (levels - 1));
            var oursRequests = (double)requests / steps;
            var before = bench.TableRequests;
            bare.Add(await floor.MeasureAsync(steps, levels, timerPerActivity: false) / (levels - 1));
            var bareRequests = (double)(bench.TableRequests - before) / steps;
            timed.Add(await floor.MeasureAsync(steps, levels, timerPerActivity: true) / (levels - 1));
            Console.WriteLine($"run {run + 1}: per level ours {Figure.Ms(ours[^1])}, engine floor {Figure.Ms(bare[^1])}, floor with a deadline timer per activity {Figure.Ms(timed[^1])}; table requests per step (a transaction's parts each count): ours {oursRequests:0.0}, floor {bareRequests:0.0}");
        }

        var median = Figure.Percentile(ours, 50);
        return
        [
            new Figure($"reverse-DAG overhead per level, {steps} no-op steps in {levels} levels (first revert -> last), median of {runs}", $"{Figure.Ms(median)} (runs: {string.Join(", ", ours.Select(Figure.Ms))})", "≤ 60 ms per level (50 / 10: ≤ 0.6 s)", median <= 60),
            new Figure("engine floor per level: no-op activities, same shape, same engine and run", $"{Figure.Ms(Figure.Percentile(bare, 50))} (runs: {string.Join(", ", bare.Select(Figure.Ms))})", "—", true),
            new Figure("engine floor per level with a deadline timer per activity", $"{Figure.Ms(Figure.Percentile(timed, 50))} (runs: {string.Join(", ", timed.Select(Figure.Ms))})", "—", true),
        ];
    }

    /// <summary>One rollback of a new deploy of that shape: milliseconds from its first revert to its last, and the table requests from the alert to the last revert.</summary>
    private static async Task<(double Overhead, long TableRequests)> ProductAsync(BenchRuntime bench, int steps, int levels)
    {
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

        var service = $"dag-{deployId}";
        var deploy = new JsonObject { ["deployId"] = deployId, ["service"] = service, ["environment"] = "bench", ["version"] = "2", ["steps"] = graph };
        await bench.PostAsync("/api/deploys", deploy.ToJsonString());
        await bench.PostAsync($"/api/deploys/{deployId}/complete", "{}");

        var requestsBefore = bench.TableRequests;
        var sent = Stopwatch.GetTimestamp();
        await bench.PostAsync("/api/alerts/alertmanager", IntakeBenchmark.AlertmanagerGroup(service, "bench", service, 1));
        var arrivals = new List<long>();
        for (var i = 0; i < steps; i++)
        {
            arrivals.Add(await bench.ArrivalAsync($"revert:{deployId}-s{i}"));
        }

        var requests = bench.TableRequests - requestsBefore;
        var first = arrivals.Min();
        var last = arrivals.Max();
        var overhead = Stopwatch.GetElapsedTime(first, last).TotalMilliseconds;
        Console.WriteLine($"alert -> first revert {Figure.Ms(Stopwatch.GetElapsedTime(sent, first).TotalMilliseconds)}, first -> last of {steps} reverts in {levels} levels {Figure.Ms(overhead)}, {Figure.Ms(overhead / (levels - 1))} per level");
        return (overhead, requests);
    }
}
