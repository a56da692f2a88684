using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using RollbackFunctions.Core.Deploys;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using RollbackFunctions.Core.Ports;
using RollbackFunctions.Core.Verification;
using RollbackFunctions.Infrastructure.Configuration;

namespace RollbackFunctions.Integration.Tests.EndToEnd;

/// <summary>One real Prometheus scraping simulated traffic for the statistical checks, started once for the class.</summary>
public sealed class TrafficFixture : IAsyncLifetime
{
    internal TrafficPrometheus? Prometheus { get; private set; }

    internal string? Missing { get; private set; }

    public async Task InitializeAsync()
    {
        try
        {
            Prometheus = await TrafficPrometheus.StartAsync();
        }
        catch (SkipException e)
        {
            Missing = e.Message;
            return;
        }

        // Canary at 10 % of the traffic, five times the baseline's error ratio: in absolute error
        // rates (0.5/s against 0.9/s) the canary looks better than the baseline.
        Prometheus.Set("worse", "canary", new Traffic(10, 0.05));
        Prometheus.Set("worse", "baseline", new Traffic(90, 0.01));
        Prometheus.Set("equal", "canary", new Traffic(10, 0.01));
        Prometheus.Set("equal", "baseline", new Traffic(90, 0.01));
        // Against a 99 % objective: 50 % errors burn the budget 50x, 2 % errors 2x.
        Prometheus.Set("fastburn", "stable", new Traffic(100, 0.5));
        Prometheus.Set("slowburn", "stable", new Traffic(100, 0.02));
    }

    internal TrafficPrometheus Require()
    {
        RealParts.Require(Missing is null, Missing ?? "");
        return Prometheus!;
    }

    public async Task DisposeAsync()
    {
        if (Prometheus is not null)
        {
            await Prometheus.DisposeAsync();
        }
    }
}

/// <summary>
/// Issue 16, finding 6 and "SLO burn rate": divergence and burn-rate checks against a real
/// Prometheus, through the Prometheus source as the runtime registers it and the one sampler the
/// watcher and verification share. Intervals and windows shrunk to seconds; the statistics are
/// those of minutes.
/// </summary>
public sealed class StatisticalChecksWithPrometheusTests(TrafficFixture fixture) : IClassFixture<TrafficFixture>
{
    private static readonly TimeSpan Enough = TimeSpan.FromSeconds(90);

    [SkippableFact]
    public async Task Divergence_CanaryFiveTimesWorseAtTenPercentOfTraffic_Breaches_AndAnEqualOneDoesNot()
    {
        var prometheus = fixture.Require();
        await using var services = Runtime(prometheus);
        var sampler = new CheckSampler(services.GetServices<IMetricSource>());

        var worse = await JudgedAsync(sampler, Canary("worse"));
        var equal = await JudgedAsync(sampler, Canary("equal"));

        Assert.True(worse.Verdict == Verdict.Unhealthy, worse.Detail);
        Assert.True(equal.Verdict == Verdict.Healthy, equal.Detail);
        // What hid the canary before: its absolute error rate is below the baseline's.
        var source = services.GetServices<IMetricSource>().Single(s => s.Name == "prometheus");
        var canaryRate = (await source.QueryAsync("sum(rate(http_requests_total{service=\"worse\",track=\"canary\",code=\"500\"}[10s]))", default)).Samples.Single().Value;
        var baselineRate = (await source.QueryAsync("sum(rate(http_requests_total{service=\"worse\",track=\"baseline\",code=\"500\"}[10s]))", default)).Samples.Single().Value;
        Assert.True(canaryRate < baselineRate, $"canary {canaryRate}/s, baseline {baselineRate}/s");
    }

    [SkippableFact]
    public async Task BurnRate_FastBurn_Fires_AndASlowOneDoesNot()
    {
        var prometheus = fixture.Require();
        await using var services = Runtime(prometheus);
        var sampler = new CheckSampler(services.GetServices<IMetricSource>());

        var fast = await JudgedAsync(sampler, Budget("fastburn"));
        var slow = await JudgedAsync(sampler, Budget("slowburn"));

        Assert.True(fast.Verdict == Verdict.Unhealthy, fast.Detail);
        Assert.InRange(fast.Value!.Value, 30, 70); // 50x, give or take the jitter of the simulated errors
        Assert.True(slow.Verdict == Verdict.Healthy, slow.Detail);

        // The report's "error budget spent": the same queries over a past stretch (range and offset).
        var now = DateTimeOffset.UtcNow;
        var spent = Assert.Single(await new ErrorBudget(services.GetServices<IMetricSource>(), TimeProvider.System).SpentAsync([Budget("fastburn")], now.AddSeconds(-8), now.AddSeconds(-2), default));
        Assert.True(spent.ErrorRatio is > 0.35 and < 0.65, spent.Detail);
    }

    /// <summary>The rollback report shows what the incident cost the SLO, measured on the real Prometheus.</summary>
    [SkippableFact]
    public async Task Report_OfARollbackWithABurnRateCheck_ShowsTheErrorBudgetSpent()
    {
        var prometheus = fixture.Require();
        await using var receiver = await LocalReceiver.StartAsync();
        await using var runtime = await TestRuntime.StartAsync($"Rollback:Prometheus:BaseUrl={prometheus.BaseUrl}");
        var id = $"budget-{Guid.NewGuid():N}"[..30];
        var deploy = Payloads.DiamondDeploy(id, receiver, "fastburn");
        deploy["steps"] = new JsonArray(Payloads.Step("rollout", receiver));
        deploy["conditions"] = new JsonObject
        {
            ["checks"] = new JsonArray(JsonSerializer.SerializeToNode(Budget("fastburn"), new JsonSerializerOptions(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull })),
            ["interval"] = "00:00:01",
            ["verifyWindow"] = "00:00:03", // the burn goes on: verification gives up quickly, the budget is reported all the same
        };
        (await runtime.PostJsonAsync("/api/deploys", deploy)).EnsureSuccessStatusCode().Dispose();
        (await runtime.Http.PostAsync($"/api/deploys/{id}/complete", null)).Dispose();
        (await runtime.PostJsonAsync($"/api/deploys/{id}/rollback", """{"reason":"error budget burning"}""")).Dispose();
        await runtime.WaitForTerminalRollbackAsync(Identifiers.RollbackIdFor(id), TimeSpan.FromSeconds(90));

        var report = await runtime.Http.GetStringAsync($"/api/rollbacks/{Identifiers.RollbackIdFor(id)}/report");

        Assert.Contains("## Error budget", report);
        Assert.Matches(@"\*\*budget\*\* from .* requests bad over .*\(burn rate \d+(\.\d+)?x against 99 %\): [0-9.]+ % of a 30-day error budget", report);
    }

    private static ConditionCheck Canary(string service) => new()
    {
        Name = "canary",
        Divergence = new DivergenceCheck
        {
            Canary = Rate(service, "canary", ",code=~\"5..\""),
            CanaryRequests = Rate(service, "canary", ""),
            Baseline = Rate(service, "baseline", ",code=~\"5..\""),
            BaselineRequests = Rate(service, "baseline", ""),
            Samples = 8,
            Interval = TimeSpan.FromSeconds(2),
        },
    };

    private static string Rate(string service, string track, string code) =>
        $"sum(rate(http_requests_total{{service=\"{service}\",track=\"{track}\"{code}}}[3s]))";

    private static ConditionCheck Budget(string service) => new()
    {
        Name = "budget",
        BurnRate = JsonSerializer.Deserialize<BurnRateCheck>(string.Create(CultureInfo.InvariantCulture, $$"""
            {"objective": 0.99, "windows": [["3s", "10s", 10]],
             "good": "sum(rate(http_requests_total{service=\"{{service}}\",code!~\"5..\"}[$window]))",
             "total": "sum(rate(http_requests_total{service=\"{{service}}\"}[$window]))"}
            """), new JsonSerializerOptions(JsonSerializerDefaults.Web)),
    };

    /// <summary>Samples until the check has enough data to judge (Prometheus fills its windows as it scrapes), then returns that judgement.</summary>
    private static Task<CheckResult> JudgedAsync(CheckSampler sampler, ConditionCheck check)
    {
        CheckResult? last = null;
        return Eventually.ReturnsAsync(
            async () => (last = await sampler.SampleAsync(check, default)).Verdict is Verdict.Healthy or Verdict.Unhealthy ? last : null,
            Enough,
            () => $"{check.Name} never had enough data: {last?.Verdict} {last?.Detail}",
            TimeSpan.FromSeconds(1));
    }

    private static ServiceProvider Runtime(TrafficPrometheus prometheus) => new ServiceCollection()
        .AddLogging()
        .AddRollbackAdapters(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Rollback:Storage:ConnectionString"] = "UseDevelopmentStorage=true",
            ["Rollback:Prometheus:BaseUrl"] = prometheus.BaseUrl,
        }).Build())
        .BuildServiceProvider();
}
