using RollbackFunctions.Infrastructure.Verification;

namespace RollbackFunctions.Infrastructure.Tests.Verification;

/// <summary>The Prometheus envelope, read from replies captured from a real Prometheus 2.42.</summary>
public sealed class PrometheusResponseTests
{
    [Fact]
    public void Read_Vector_ParsesStringValuesAndLabels()
    {
        var result = PrometheusResponse.Read(200, Fixture("prometheus-2.42-query-vector.json"));

        Assert.Null(result.Error);
        var sample = Assert.Single(result.Samples);
        Assert.Equal(1.0, sample.Value);
        Assert.Equal("self", sample.Labels["job"]);
    }

    [Theory]
    [InlineData("prometheus-2.42-query-empty.json")]
    [InlineData("prometheus-2.42-query-nodata-division.json")]
    public void Read_EmptyVector_IsSuccessWithNoData(string fixture)
    {
        var result = PrometheusResponse.Read(200, Fixture(fixture));

        Assert.Null(result.Error);
        Assert.Empty(result.Samples);
    }

    [Fact]
    public void Read_NaNScalar_IsANaNSample()
    {
        var result = PrometheusResponse.Read(200, Fixture("prometheus-2.42-query-nan-scalar.json"));

        Assert.True(double.IsNaN(Assert.Single(result.Samples).Value));
    }

    [Fact]
    public void Read_ParseError_IsAnErrorNamingItsType()
    {
        var body = Fixture("prometheus-2.42-query-parse-error.txt").Split('\n')[0];

        var result = PrometheusResponse.Read(400, body);

        Assert.Contains("bad_data", result.Error);
        Assert.Contains("400", result.Error);
    }

    [Theory]
    [InlineData(503, "<html>upstream timeout</html>")]
    [InlineData(200, """{"status":"success","data":{"resultType":"matrix","result":[]}}""")]
    [InlineData(200, """[1,2]""")]
    public void Read_UnusableReply_IsAnError(int status, string body) =>
        Assert.NotNull(PrometheusResponse.Read(status, body).Error);

    [Fact]
    public void Read_InfinityAsString_IsInfinite() =>
        Assert.True(double.IsPositiveInfinity(PrometheusResponse.Read(200, """{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"+Inf"]}]}}""").Samples[0].Value));

    private static string Fixture(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "fixtures", name));
}
