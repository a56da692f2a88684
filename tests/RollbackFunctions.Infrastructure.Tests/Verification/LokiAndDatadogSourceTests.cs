using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using RollbackFunctions.Core.Verification;
using RollbackFunctions.Infrastructure.Verification;

namespace RollbackFunctions.Infrastructure.Tests.Verification;

/// <summary>Loki and Datadog through stubs at the wire that answer with the shapes their API documentation gives.</summary>
public sealed class LokiAndDatadogSourceTests : IAsyncLifetime
{
    private ServiceProvider http = null!;

    private IHttpClientFactory Clients => http.GetRequiredService<IHttpClientFactory>();

    private static IOptionsMonitor<T> Monitor<T>(T value) where T : class => new StaticMonitor<T>(value);

    [Fact]
    public async Task Loki_MetricQuery_IsReadLikePrometheus_WithTheTenantHeader()
    {
        await using var loki = await StubServer.StartAsync(_ => new StubReply(200, """
            {"status":"success","data":{"resultType":"vector","result":[{"metric":{"app":"checkout"},"value":[1732752000,"12.5"]}],
             "stats":{"summary":{"bytesProcessedPerSecond":1234}}}}
            """));
        var source = new LokiMetricSource(Clients, Monitor(new LokiOptions { BaseUrl = loki.BaseUrl, TenantId = "team-a" }), TimeProvider.System);

        var result = await source.QueryAsync("sum(rate({app=\"checkout\"} |= \"error\" [1m]))", default);

        Assert.Null(result.Error);
        Assert.Equal(12.5, Assert.Single(result.Samples).Value);
        var request = Assert.Single(loki.Requests);
        Assert.StartsWith("/loki/api/v1/query?query=sum%28rate%28%7Bapp%3D%22checkout%22%7D", request.PathAndQuery);
        Assert.Equal("team-a", request.Headers["X-Scope-OrgID"]);
    }

    [Fact]
    public async Task Loki_LogStreamQuery_IsAnError_NotHealth()
    {
        await using var loki = await StubServer.StartAsync(_ => new StubReply(200, """
            {"status":"success","data":{"resultType":"streams","result":[{"stream":{"app":"checkout"},"values":[["1732752000000000000","boom"]]}]}}
            """));
        var source = new LokiMetricSource(Clients, Monitor(new LokiOptions { BaseUrl = loki.BaseUrl }), TimeProvider.System);

        Assert.Contains("not supported", (await source.QueryAsync("{app=\"checkout\"}", default)).Error);
    }

    [Fact]
    public async Task Datadog_Metrics_TakeTheLastCompletePointWithAValue_WithBothKeys()
    {
        await using var datadog = await StubServer.StartAsync(_ => new StubReply(200, """
            {"status":"ok","res_type":"time_series","series":[
              {"metric":"trace.http.request.errors","scope":"service:checkout","interval":60,"pointlist":[[1732751700000.0,0.01],[1732751760000.0,0.07],[1732751820000.0,null]],"length":3},
              {"metric":"trace.http.request.errors","scope":"service:cart","interval":60,"pointlist":[[1732751820000.0,0.02]],"length":1}],
             "from_date":1732751700000,"to_date":1732752000000,"query":"avg:trace.http.request.errors{*} by {service}"}
            """));
        var source = new DatadogMetricSource(Clients, Monitor(new DatadogOptions { ApiUrl = datadog.BaseUrl, ApiKey = "api-key-123", ApplicationKey = "app-key-456" }), TimeProvider.System);

        var result = await source.QueryAsync("avg:trace.http.request.errors{*} by {service}", default);

        Assert.Null(result.Error);
        Assert.Equal([0.07, 0.02], result.Samples.Select(s => s.Value));
        var request = Assert.Single(datadog.Requests);
        Assert.StartsWith("/api/v1/query?from=", request.PathAndQuery);
        Assert.Equal(("api-key-123", "app-key-456"), (request.Headers["DD-API-KEY"], request.Headers["DD-APPLICATION-KEY"]));
    }

    /// <summary>
    /// Issue 16, finding 8: the last point of a series is usually a bucket still filling (it covers
    /// [t, t + interval) and the query ends now): a rate falls and a count is low, so
    /// <c>unhealthyBelow</c> fired on a healthy service. The value is the last complete bucket's.
    /// </summary>
    [Fact]
    public async Task Datadog_Metrics_TakeTheLastCompleteBucket_NotAPartialOne()
    {
        await using var datadog = await StubServer.StartAsync(_ => new StubReply(200, """
            {"status":"ok","res_type":"time_series","series":[
              {"metric":"trace.http.request.hits","scope":"service:checkout","interval":60,
               "pointlist":[[1732751700000.0,118.0],[1732751760000.0,121.0],[1732751820000.0,31.0]],"length":3},
              {"metric":"trace.http.request.hits","scope":"service:cart","interval":60,"pointlist":[[1732751820000.0,12.0]],"length":1}],
             "from_date":1732751580000,"to_date":1732751852000,"query":"sum:trace.http.request.hits{*} by {service}.as_count()"}
            """));
        var source = new DatadogMetricSource(Clients, Monitor(new DatadogOptions { ApiUrl = datadog.BaseUrl, ApiKey = "k", ApplicationKey = "a" }), TimeProvider.System);

        var result = await source.QueryAsync("sum:trace.http.request.hits{*} by {service}.as_count()", default);

        // checkout: 121 from the bucket that ended 32 s before to_date; cart has only a partial bucket: no data.
        Assert.Equal([121.0], result.Samples.Select(s => s.Value));
        var check = new ConditionCheck { Name = "traffic", Source = "datadog", Query = "x", UnhealthyBelow = 60 };
        Assert.Equal(Verdict.Healthy, CheckEvaluator.Evaluate(check, result).Verdict);
    }

    [Fact]
    public async Task Datadog_EmptySeries_IsNoData()
    {
        await using var datadog = await StubServer.StartAsync(_ => new StubReply(200, """{"status":"ok","series":[],"query":"x"}"""));
        var source = new DatadogMetricSource(Clients, Monitor(new DatadogOptions { ApiUrl = datadog.BaseUrl, ApiKey = "k", ApplicationKey = "a" }), TimeProvider.System);

        var check = new ConditionCheck { Name = "errors", Source = "datadog", Query = "x", UnhealthyAbove = 0.05 };
        Assert.Equal(Verdict.Inconclusive, CheckEvaluator.Evaluate(check, await source.QueryAsync("x", default)).Verdict);
    }

    [Fact]
    public async Task Datadog_RateLimited_IsAnErrorSayingWhenItResets()
    {
        await using var datadog = await StubServer.StartAsync(_ => new StubReply(429, """{"errors":["Rate limit of 1600 requests in 3600 seconds reached"]}""",
            new Dictionary<string, string> { ["X-RateLimit-Limit"] = "1600", ["X-RateLimit-Period"] = "3600", ["X-RateLimit-Remaining"] = "0", ["X-RateLimit-Reset"] = "42" }));
        var source = new DatadogMetricSource(Clients, Monitor(new DatadogOptions { ApiUrl = datadog.BaseUrl, ApiKey = "k", ApplicationKey = "a" }), TimeProvider.System);

        var result = await source.QueryAsync("x", default);

        Assert.Equal("Datadog rate limit reached; it resets in 42 s", result.Error);
    }

    [Fact]
    public async Task DatadogLogs_CountsMatchingLogsOverTheWindow()
    {
        await using var datadog = await StubServer.StartAsync(_ => new StubReply(200, """
            {"meta":{"status":"done","request_id":"r1","elapsed":32},"data":{"buckets":[{"by":{},"computes":{"c0":37}}]}}
            """));
        var source = new DatadogLogsSource(Clients, Monitor(new DatadogOptions { ApiUrl = datadog.BaseUrl, ApiKey = "k", ApplicationKey = "a", Window = TimeSpan.FromMinutes(2) }), TimeProvider.System);

        var result = await source.QueryAsync("service:checkout status:error", default);

        Assert.Equal(37, Assert.Single(result.Samples).Value);
        var request = Assert.Single(datadog.Requests);
        Assert.Equal(("POST", "/api/v2/logs/analytics/aggregate"), (request.Method, request.PathAndQuery));
        Assert.Contains("\"query\":\"service:checkout status:error\"", request.Body);
        Assert.Contains("\"from\":\"now-120s\"", request.Body);
    }

    [Fact]
    public async Task DatadogLogs_NoMatchingLogs_IsAZeroCount()
    {
        await using var datadog = await StubServer.StartAsync(_ => new StubReply(200, """{"meta":{"status":"done"},"data":{"buckets":[]}}"""));
        var source = new DatadogLogsSource(Clients, Monitor(new DatadogOptions { ApiUrl = datadog.BaseUrl, ApiKey = "k", ApplicationKey = "a" }), TimeProvider.System);

        Assert.Equal(0, Assert.Single((await source.QueryAsync("service:checkout status:error", default)).Samples).Value);
    }

    public Task InitializeAsync()
    {
        var services = new ServiceCollection();
        services.AddHttpClient(LokiMetricSource.HttpClientName);
        services.AddHttpClient(DatadogSource.HttpClientName);
        http = services.BuildServiceProvider();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await http.DisposeAsync();

    private sealed class StaticMonitor<T>(T value) : IOptionsMonitor<T>
    {
        public T CurrentValue => value;

        public T Get(string? name) => value;

        public IDisposable? OnChange(Action<T, string?> listener) => null;
    }
}
