using System.Diagnostics;
using System.Text;

/// <summary>
/// Fires requests at a fixed concurrency and reports throughput and latency percentiles, like
/// <c>hey</c> (not installed here). Each request is built per index so a run can mix payloads.
/// </summary>
internal static class LoadBenchmark
{
    public sealed record Result(int Requests, TimeSpan Elapsed, double P50Ms, double P99Ms, double MaxMs, IReadOnlyDictionary<int, int> Statuses)
    {
        public double PerSecond => Requests / Elapsed.TotalSeconds;

        public string StatusSummary => string.Join(", ", Statuses.OrderBy(s => s.Key).Select(s => $"{s.Value}×{s.Key}"));
    }

    public static async Task<Result> RunAsync(HttpClient http, int requests, int concurrency, Func<int, HttpRequestMessage> request)
    {
        var latencies = new double[requests];
        var statuses = new int[requests];
        var next = -1;
        var started = Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < requests)
            {
                var sent = Stopwatch.GetTimestamp();
                try
                {
                    using var response = await http.SendAsync(request(i));
                    await response.Content.LoadIntoBufferAsync();
                    statuses[i] = (int)response.StatusCode;
                }
                catch (HttpRequestException)
                {
                    statuses[i] = 0; // connection refused or reset
                }

                latencies[i] = Stopwatch.GetElapsedTime(sent).TotalMilliseconds;
            }
        }));
        var elapsed = Stopwatch.GetElapsedTime(started);
        Array.Sort(latencies);
        return new Result(
            requests,
            elapsed,
            latencies[requests / 2],
            latencies[Math.Min(requests - 1, (int)Math.Ceiling(requests * 0.99) - 1)],
            latencies[^1],
            statuses.GroupBy(s => s).ToDictionary(g => g.Key, g => g.Count()));
    }

    public static HttpRequestMessage Post(string path, string json) =>
        new(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
}
