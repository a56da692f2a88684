using System.Diagnostics;

/// <summary>
/// Alert to page, to first revert and to verified after the engine has been idle: per run a
/// one-step deploy is registered, nothing happens for <c>idle</c>, then an Alertmanager webhook
/// arrives; the same alert resolved is posted the moment the revert lands, as Alertmanager would.
/// Run 0 is a warm-up without the idle wait (the JIT and first connections of a fresh process), shown
/// but left out of the percentiles: a runtime that has been up for a minute has paid them.
/// </summary>
internal static class FirstRevertBenchmark
{
    public static async Task<IReadOnlyList<Figure>> RunAsync(TimeSpan idle, int runs)
    {
        await using var bench = await BenchRuntime.StartAsync([]);
        Console.WriteLine("| run | idle before alert | alert reply | alert -> page | alert -> first revert | alert -> verified |");
        Console.WriteLine("|---|---|---|---|---|---|");
        List<double> paged = [], reverted = [], verified = [];
        for (var run = 0; run <= runs; run++)
        {
            var deployId = $"bench-{run}-{Guid.NewGuid():N}"[..20];
            var service = $"svc{deployId}";
            await bench.PostAsync("/api/deploys", $$$"""
                {"deployId":"{{{deployId}}}","service":"{{{service}}}","environment":"bench","version":"2",
                 "steps":[{"id":"app","kind":"webhook","params":{"revertUrl":"{{{bench.ReceiverUrl}}}/revert/{{{deployId}}}"}}]}
                """);
            await bench.PostAsync($"/api/deploys/{deployId}/complete", "{}");
            await Task.Delay(run == 0 ? TimeSpan.Zero : idle);

            var since = DateTimeOffset.UtcNow;
            var alert = IntakeBenchmark.AlertmanagerGroup(service, "bench", $"g{run}", 1, since: since);
            var sent = Stopwatch.GetTimestamp();
            await bench.PostAsync("/api/alerts/alertmanager", alert);
            var replied = Stopwatch.GetTimestamp();
            var revertedAt = await bench.ArrivalAsync($"revert:{deployId}");
            await bench.PostAsync("/api/alerts/alertmanager", IntakeBenchmark.AlertmanagerGroup(service, "bench", $"g{run}", 1, "resolved", since));
            while (!(await bench.Http.GetStringAsync($"/api/rollbacks/rb-{deployId}")).Contains("\"phase\":\"succeeded\"", StringComparison.Ordinal))
            {
                await Task.Delay(10);
            }

            var verifiedAt = Stopwatch.GetTimestamp();
            var pagedAt = await bench.ArrivalAsync($"page:{deployId}");
            if (run == 0)
            {
                Console.WriteLine($"| warm-up | none | {Figure.Ms(Stopwatch.GetElapsedTime(sent, replied).TotalMilliseconds)} | {Figure.Ms(Stopwatch.GetElapsedTime(sent, pagedAt).TotalMilliseconds)} | {Figure.Ms(Stopwatch.GetElapsedTime(sent, revertedAt).TotalMilliseconds)} | {Figure.Ms(Stopwatch.GetElapsedTime(sent, verifiedAt).TotalMilliseconds)} |");
                continue;
            }

            paged.Add(Stopwatch.GetElapsedTime(sent, pagedAt).TotalMilliseconds);
            reverted.Add(Stopwatch.GetElapsedTime(sent, revertedAt).TotalMilliseconds);
            verified.Add(Stopwatch.GetElapsedTime(sent, verifiedAt).TotalMilliseconds);
            Console.WriteLine($"| {run} | {idle.TotalSeconds:0} s | {Figure.Ms(Stopwatch.GetElapsedTime(sent, replied).TotalMilliseconds)} | {Figure.Ms(paged[^1])} | {Figure.Ms(reverted[^1])} | {Figure.Ms(verified[^1])} |");
        }

        var p50 = Figure.Percentile(reverted, 50);
        var p99 = Figure.Percentile(reverted, 99);
        return
        [
            new Figure($"alert -> first revert started, after {idle.TotalSeconds:0} s idle, p50 / p99 over {runs} runs (after one warm-up)", $"{Figure.Ms(p50)} / {Figure.Ms(p99)}", "≤ 100 ms / ≤ 200 ms", p50 <= 100 && p99 <= 200),
            new Figure("alert -> page, p50 / p99", $"{Figure.Ms(Figure.Percentile(paged, 50))} / {Figure.Ms(Figure.Percentile(paged, 99))}", "(goes out with the first revert)", true),
            new Figure("alert -> verified (resolved at once), p50 / p99", $"{Figure.Ms(Figure.Percentile(verified, 50))} / {Figure.Ms(Figure.Percentile(verified, 99))}", "(no target)", true),
        ];
    }
}
