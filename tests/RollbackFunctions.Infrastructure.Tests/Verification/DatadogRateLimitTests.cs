using System.Collections.Concurrent;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using RollbackFunctions.Core.Ports;
using RollbackFunctions.Infrastructure.Configuration;

namespace RollbackFunctions.Infrastructure.Tests.Verification;

/// <summary>
/// Issue 16, finding 8: the standard resilience handler retried a Datadog 429 at once, three times,
/// ignoring <c>X-RateLimit-Reset</c>: each 429 cost four calls against an exhausted limit. The
/// sources run here with the HTTP clients exactly as the runtime registers them.
/// </summary>
public sealed class DatadogRateLimitTests
{
    private static readonly string Series = """
        {"status":"ok","series":[{"metric":"errors","scope":"service:checkout","interval":60,
         "pointlist":[[1732751700000.0,0.02],[1732751760000.0,0.03]]}],"from_date":1732751700000,"to_date":1732752000000}
        """;

    private static Dictionary<string, string> Limited(int resetSeconds) =>
        new() { ["X-RateLimit-Limit"] = "1600", ["X-RateLimit-Period"] = "3600", ["X-RateLimit-Remaining"] = "0", ["X-RateLimit-Reset"] = $"{resetSeconds}" };

    private static ServiceProvider Runtime(string datadogUrl) => new ServiceCollection()
        .AddLogging()
        .AddRollbackAdapters(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Rollback:Storage:ConnectionString"] = "UseDevelopmentStorage=true",
            ["Rollback:Datadog:ApiUrl"] = datadogUrl,
            ["Rollback:Datadog:ApiKey"] = "k",
            ["Rollback:Datadog:ApplicationKey"] = "a",
        }).Build())
        .BuildServiceProvider();

    private static IMetricSource Datadog(ServiceProvider services) => services.GetServices<IMetricSource>().Single(s => s.Name == "datadog");

    [Fact]
    public async Task Query_RateLimitResettingBeyondTheWait_IsOneCall_AndNoMoreUntilItResets()
    {
        await using var datadog = await StubServer.StartAsync(_ => new StubReply(429, """{"errors":["Rate limit exceeded"]}""", Limited(60)));
        await using var services = Runtime(datadog.BaseUrl);

        var first = await Datadog(services).QueryAsync("sum:errors{*}", default);
        var second = await Datadog(services).QueryAsync("sum:errors{*}", default);

        Assert.Equal("Datadog rate limit reached; it resets in 60 s", first.Error);
        Assert.StartsWith("Datadog rate limit reached; it resets in", second.Error);
        Assert.Single(datadog.Requests);
    }

    [Fact]
    public async Task Query_RateLimitResettingWithinTheWait_WaitsForTheReset_ThenAsksOnce()
    {
        var calls = new ConcurrentQueue<DateTimeOffset>();
        await using var datadog = await StubServer.StartAsync(_ =>
        {
            calls.Enqueue(DateTimeOffset.UtcNow);
            return calls.Count == 1 ? new StubReply(429, """{"errors":["Rate limit exceeded"]}""", Limited(2)) : new StubReply(200, Series);
        });
        await using var services = Runtime(datadog.BaseUrl);

        var result = await Datadog(services).QueryAsync("sum:errors{*}", default);

        Assert.Null(result.Error);
        Assert.Equal(0.03, Assert.Single(result.Samples).Value);
        var times = calls.ToArray();
        Assert.Equal(2, times.Length);
        Assert.True(times[1] - times[0] >= TimeSpan.FromSeconds(1.9), $"asked again after {(times[1] - times[0]).TotalSeconds} s, before the reset");
    }
}
