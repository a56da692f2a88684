using RollbackFunctions.Core.Verification;
using RollbackFunctions.Infrastructure.Verification;

namespace RollbackFunctions.Infrastructure.Tests.Verification;

/// <summary>
/// Issue 16, finding 8: Prometheus and Thanos say in <c>warnings</c> that an answer is partial (a
/// store, shard or remote-read endpoint did not answer). The missing part may hold the series that
/// breaches or the only healthy one, so such a sample is inconclusive: neither health nor breach.
/// </summary>
public sealed class PrometheusPartialAnswerTests
{
    private static readonly ConditionCheck Errors = new() { Name = "errors", Query = "x", UnhealthyAbove = 0.05 };

    [Fact]
    public void Read_ThanosReplyWithWarnings_IsInconclusive_NamingTheWarning()
    {
        // The shape Thanos Query returns with partial_response enabled and one store down.
        var result = PrometheusResponse.Read(200, """
            {"status":"success","data":{"resultType":"vector","result":[{"metric":{"service":"checkout"},"value":[1732752000,"0.001"]}]},
             "warnings":["No StoreAPIs matched for this query","receive-eu1: rpc error: code = Unavailable"]}
            """);

        var check = CheckEvaluator.Evaluate(Errors, result);

        Assert.Equal(Verdict.Inconclusive, check.Verdict);
        Assert.Equal("partial answer: No StoreAPIs matched for this query; receive-eu1: rpc error: code = Unavailable", check.Detail);
    }

    [Fact]
    public void Read_EmptyWarnings_IsAnOrdinaryAnswer() =>
        Assert.Equal(Verdict.Healthy, CheckEvaluator.Evaluate(Errors, PrometheusResponse.Read(200, """
            {"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1732752000,"0.001"]}]},"warnings":[]}
            """)).Verdict);

    [Fact]
    public void ReadRange_Matrix_ParsesEverySeriesAndPoint_AndWarningsMakeItPartial()
    {
        var result = PrometheusResponse.ReadRange(200, """
            {"status":"success","data":{"resultType":"matrix","result":[
              {"metric":{"track":"canary"},"values":[[1732751940,"0.5"],[1732752000,"NaN"]]}]}}
            """);
        var partial = PrometheusResponse.ReadRange(200, """
            {"status":"success","data":{"resultType":"matrix","result":[]},"warnings":["shard 2 timed out"]}
            """);

        var series = Assert.Single(result.Series);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1732751940), series.Points[0].At);
        Assert.Equal(0.5, series.Points[0].Value);
        Assert.True(double.IsNaN(series.Points[1].Value));
        Assert.Equal("shard 2 timed out", partial.Warning);
    }

    [Fact]
    public void ReadRange_AnInstantVector_IsAnError() =>
        Assert.Contains("not a range query reply", PrometheusResponse.ReadRange(200, """{"status":"success","data":{"resultType":"vector","result":[]}}""").Error);
}
