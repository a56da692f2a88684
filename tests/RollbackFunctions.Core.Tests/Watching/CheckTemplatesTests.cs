using RollbackFunctions.Core.Verification;
using RollbackFunctions.Core.Watching;
using static RollbackFunctions.Testing.DeployBuilder;

namespace RollbackFunctions.Core.Tests.Watching;

public sealed class CheckTemplatesTests
{
    private readonly CheckTemplates templates = new(new CheckTemplateOptions());

    [Fact]
    public void Expand_ErrorRatio_WritesThePromQlForTheDeploysServiceEnvironmentAndLabels()
    {
        var deploy = Record(labels: new Dictionary<string, string> { ["cluster"] = "eu1", ["app.kubernetes.io/name"] = "checkout" }) with
        {
            Conditions = new RollbackConditions { Checks = [new ConditionCheck { Name = "errors", Template = "errorRatio", UnhealthyAbove = 0.02 }] },
        };

        var query = templates.Expand(deploy).Conditions!.Checks[0].Query;

        Assert.Equal(
            "(sum(rate(http_requests_total{service=\"checkout\",environment=\"prod\",cluster=\"eu1\",code=~\"5..\"}[1m])) or vector(0)) / (sum(rate(http_requests_total{service=\"checkout\",environment=\"prod\",cluster=\"eu1\"}[1m])) >= 1)",
            query);
    }

    /// <summary>Issue 16, defect 3: no 5xx series (fresh pods) made the ratio an empty vector, so a good rollback was reported failed.</summary>
    [Fact]
    public void Expand_ErrorRatio_ErrorSideIsNeverEmpty_AndTheVolumeFloorIsTheChecks()
    {
        var deploy = Record() with
        {
            Conditions = new RollbackConditions { Checks = [new ConditionCheck { Name = "errors", Template = "errorRatio", UnhealthyAbove = 0.02, MinRequests = 0.5 }] },
        };

        var query = templates.Expand(deploy).Conditions!.Checks[0].Query;

        Assert.Contains("or vector(0))", query);
        Assert.EndsWith(">= 0.5)", query);
    }

    [Theory]
    [InlineData("latencyP99", "histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{service=\"checkout\",environment=\"prod\"}[1m])))")]
    [InlineData("saturation", "max(rate(process_cpu_seconds_total{service=\"checkout\",environment=\"prod\"}[1m]))")]
    public void QueryFor_EachTemplate(string template, string expected) =>
        Assert.Equal(expected, templates.QueryFor(template, Record()));

    [Fact]
    public void QueryFor_QuotesInALabelValue_CannotBreakOutOfTheSelector() =>
        Assert.Contains("cluster=\"eu1\\\"} or vector(1) #\"", templates.QueryFor("saturation", Record(labels: new Dictionary<string, string> { ["cluster"] = "eu1\"} or vector(1) #" })));

    [Fact]
    public void QueryFor_ConfiguredNames_AreUsed() =>
        Assert.Equal(
            "max(rate(cpu_total{svc=\"checkout\",env=\"prod\"}[5m]))",
            new CheckTemplates(new CheckTemplateOptions { ServiceLabel = "svc", EnvironmentLabel = "env", CpuSecondsMetric = "cpu_total", RateWindow = "5m" }).QueryFor("saturation", Record()));
}
