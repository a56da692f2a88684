using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Verification;

namespace RollbackFunctions.Core.Tests.Deploys;

public sealed class ConditionsValidatorTests
{
    private static readonly ConditionCheck Good = new() { Name = "errors", Query = "sum(rate(errors[1m]))", UnhealthyAbove = 0.05 };

    private static Dictionary<string, string> Problems(RollbackConditions conditions)
    {
        var problems = new Dictionary<string, string>();
        ConditionsValidator.Validate(conditions, ["prometheus", "loki"], (field, message) => problems[field] = message);
        return problems;
    }

    [Fact]
    public void Validate_ACompleteCheck_HasNoProblems() =>
        Assert.Empty(Problems(new RollbackConditions { Checks = [Good], Interval = TimeSpan.FromSeconds(30), RequiredHealthyChecks = 3, VerifyWindow = TimeSpan.FromMinutes(10) }));

    [Fact]
    public void Validate_DuplicateOrMissingNames_NameTheField()
    {
        var problems = Problems(new RollbackConditions { Checks = [Good, Good, Good with { Name = " " }] });

        Assert.Contains("conditions.checks[1].name", problems.Keys);
        Assert.Contains("conditions.checks[2].name", problems.Keys);
        Assert.DoesNotContain("conditions.checks[0].name", problems.Keys);
    }

    [Fact]
    public void Validate_UnknownSource_ListsTheKnownOnes() =>
        Assert.Contains("known sources: loki, prometheus", Problems(new RollbackConditions { Checks = [Good with { Source = "graphite" }] })["conditions.checks[0].source"]);

    [Fact]
    public void Validate_NoQueryOrNoThreshold_AreProblems()
    {
        var problems = Problems(new RollbackConditions { Checks = [Good with { Query = "" }, Good with { Name = "b", UnhealthyAbove = null }] });

        Assert.Contains("exactly one of query, template, divergence or burnRate", problems["conditions.checks[0]"]);
        Assert.Contains("unhealthyAbove or unhealthyBelow", problems["conditions.checks[1]"]);
    }

    [Theory]
    [InlineData("""{"name":"a","template":"errorRatio","query":"up","unhealthyAbove":1}""", "conditions.checks[0]", "exactly one of")]
    [InlineData("""{"name":"a","template":"apdex","unhealthyAbove":1}""", "conditions.checks[0].template", "known templates: errorRatio, latencyP99, saturation")]
    [InlineData("""{"name":"a","divergence":{"canary":"x","baseline":"y"}}""", "conditions.checks[0].divergence", "canary and canaryRequests, baseline and baselineRequests")]
    [InlineData("""{"name":"a","divergence":{"canary":"x","canaryRequests":"x","baseline":"y","baselineRequests":"y","maxRatio":0.5}}""", "conditions.checks[0].divergence", "maxRatio of at least 1")]
    [InlineData("""{"name":"a","divergence":{"canary":"x","canaryRequests":"x","baseline":"y","baselineRequests":"y","samples":3}}""", "conditions.checks[0].divergence.samples", "between 5 and 200")]
    [InlineData("""{"name":"a","divergence":{"canary":"x","canaryRequests":"x","baseline":"y","baselineRequests":"y","confidence":1}}""", "conditions.checks[0].divergence.confidence", "below 1")]
    [InlineData("""{"name":"a","divergence":{"canary":"x","canaryRequests":"x","baseline":"y","baselineRequests":"y","minRequests":-1}}""", "conditions.checks[0].divergence.minRequests", "0 or more")]
    [InlineData("""{"name":"a","source":"loki","divergence":{"canary":"x","canaryRequests":"x","baseline":"y","baselineRequests":"y"}}""", "conditions.checks[0].divergence", "cannot run range queries; divergence runs on: prometheus")]
    [InlineData("""{"name":"a","burnRate":{"objective":1,"good":"g[$window]","total":"t[$window]"}}""", "conditions.checks[0].burnRate.objective", "below 1")]
    [InlineData("""{"name":"a","burnRate":{"objective":0.999,"good":"sum(rate(ok[5m]))","total":"t[$window]"}}""", "conditions.checks[0].burnRate.good", "$window where the range goes")]
    [InlineData("""{"name":"a","burnRate":{"objective":0.999,"good":"g[$window]","total":"t[$window]","windows":[["1h","5m",14.4]]}}""", "conditions.checks[0].burnRate.windows", "the short one shorter")]
    [InlineData("""{"name":"a","burnRate":{"objective":0.999,"good":"g[$window]","total":"t[$window]","windows":[["5m","1h"]]}}""", "conditions.checks[0].burnRate.windows", "[short, long, factor]")]
    [InlineData("""{"name":"a","burnRate":{"objective":0.999,"good":"g[$window]","total":"t[$window]","windows":[["5m","1h",0]]}}""", "conditions.checks[0].burnRate.windows", "factor above 0")]
    [InlineData("""{"name":"a","burnRate":{"objective":0.999,"good":"g[$window]","total":"t[$window]","windows":[["5 m","1h",14.4]]}}""", "conditions.checks[0].burnRate.windows", "Prometheus durations")]
    [InlineData("""{"name":"a","query":"up","unhealthyAbove":1,"failureLimit":0}""", "conditions.checks[0].failureLimit", "between 1 and 100")]
    [InlineData("""{"name":"a","query":"up","unhealthyAbove":1,"consecutiveErrorLimit":101}""", "conditions.checks[0].consecutiveErrorLimit", "between 1 and 100")]
    public void Validate_WatcherFields_NameTheField(string check, string field, string message)
    {
        var parsed = System.Text.Json.JsonSerializer.Deserialize<ConditionCheck>(check, new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web))!;

        Assert.Contains(message, Problems(new RollbackConditions { Checks = [parsed] })[field]);
    }

    [Fact]
    public void Validate_BurnRateAsInTheIssue_HasNoProblems()
    {
        var check = System.Text.Json.JsonSerializer.Deserialize<ConditionCheck>("""
            {"name": "budget", "burnRate": {"objective": 0.999, "good": "sum(rate(http_requests_total{code!~\"5..\"}[$window]))",
             "total": "sum(rate(http_requests_total[$window]))", "windows": [["5m","1h",14.4],["30m","6h",6]]}}
            """, new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web))!;

        Assert.Empty(Problems(new RollbackConditions { Checks = [check] }));
    }

    [Fact]
    public void Validate_MoreChecksOnAQuotaThanItsMaximum_IsRefusedWithTheSetting()
    {
        var facts = new SourceFacts(["prometheus", "datadog", "datadogLogs"], ["prometheus"], new Dictionary<string, (string, int, string)>
        {
            ["datadog"] = ("Datadog", 2, "Rollback:Datadog:MaxChecksPerDeploy"),
            ["datadogLogs"] = ("Datadog", 2, "Rollback:Datadog:MaxChecksPerDeploy"),
        });
        var problems = new Dictionary<string, string>();
        var checks = new List<ConditionCheck> { Good with { Name = "a", Source = "datadog" }, Good with { Name = "b", Source = "datadogLogs" } };

        ConditionsValidator.Validate(new RollbackConditions { Checks = checks }, facts, (field, message) => problems[field] = message);
        Assert.Empty(problems);

        ConditionsValidator.Validate(new RollbackConditions { Checks = [.. checks, Good with { Name = "c", Source = "datadog" }] }, facts, (field, message) => problems[field] = message);
        Assert.Equal("3 checks on Datadog; at most 2 per deploy (Rollback:Datadog:MaxChecksPerDeploy), so every deploy's watcher stays inside the API's rate limit", problems["conditions.checks"]);
    }

    /// <summary>Issue 9, finding 14: a 1 s interval over 24 h was 86,400 samples in one orchestration history.</summary>
    [Fact]
    public void Validate_TooManyVerificationSamples_IsRefused()
    {
        var problems = Problems(new RollbackConditions { Checks = [Good], Interval = TimeSpan.FromSeconds(1), VerifyWindow = TimeSpan.FromHours(24) });

        Assert.Contains("at most 1000 samples", problems["conditions.interval"]);
        Assert.Empty(Problems(new RollbackConditions { Checks = [Good], Interval = TimeSpan.FromSeconds(1), VerifyWindow = TimeSpan.FromMinutes(10) }));
    }

    [Fact]
    public void Validate_WatchIntervalUnderOneSecond_IsRefused()
    {
        Assert.Contains("between 00:00:01", Problems(new RollbackConditions { Checks = [Good], WatchInterval = TimeSpan.FromMilliseconds(500) })["conditions.watchInterval"]);
        Assert.Empty(Problems(new RollbackConditions { Checks = [Good], WatchInterval = TimeSpan.FromSeconds(1) }));
    }

    [Fact]
    public void Validate_NullCheck_MustBeAnObject() =>
        Assert.Equal("must be an object", Problems(new RollbackConditions { Checks = [null!] })["conditions.checks[0]"]);

    [Theory]
    [InlineData(0.5, null, null, "conditions.interval")]
    [InlineData(90000.0, null, null, "conditions.interval")]
    [InlineData(null, 0, null, "conditions.requiredHealthyChecks")]
    [InlineData(null, 101, null, "conditions.requiredHealthyChecks")]
    [InlineData(null, null, 0.5, "conditions.verifyWindow")]
    [InlineData(null, null, 90000.0, "conditions.verifyWindow")]
    public void Validate_CadenceOutOfBounds_NamesTheField(double? intervalSeconds, int? required, double? windowSeconds, string field)
    {
        var conditions = new RollbackConditions
        {
            Checks = [Good],
            Interval = intervalSeconds is { } i ? TimeSpan.FromSeconds(i) : null,
            RequiredHealthyChecks = required,
            VerifyWindow = windowSeconds is { } w ? TimeSpan.FromSeconds(w) : null,
        };

        Assert.Equal([field], Problems(conditions).Keys);
    }
}
