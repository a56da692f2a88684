using System.Net;
using System.Text.Json.Nodes;

namespace RollbackFunctions.Integration.Tests.Api;

/// <summary>What <c>GET /api/insights</c> refuses, and the registration's <c>commitTime</c> it is computed from.</summary>
public sealed class InsightsApiTests(RuntimeFixture fixture) : IClassFixture<RuntimeFixture>
{
    [SkippableTheory]
    [InlineData("days=0")]
    [InlineData("days=91")]
    [InlineData("days=seven")]
    [InlineData("days=1&days=2")]
    [InlineData("service=a&service=b")]
    public async Task Insights_QueryOutOfBounds_Answers400Problem(string query)
    {
        var runtime = fixture.Require();

        using var reply = await runtime.Http.GetAsync($"/api/insights?{query}");

        Assert.Equal(HttpStatusCode.BadRequest, reply.StatusCode);
        Assert.Equal("application/problem+json", reply.Content.Headers.ContentType?.MediaType);
    }

    [SkippableTheory]
    [InlineData("2026-12-02 10:00:00", "RFC 3339")]
    [InlineData("2026-12-02T10:00:00", "RFC 3339")] // no offset: whose clock?
    [InlineData("tomorrow", "RFC 3339")]
    [InlineData("future", "in the future")]
    public async Task Register_CommitTimeNotRfc3339OrInTheFuture_Answers400AndStoresNothing(string commitTime, string problem)
    {
        var runtime = fixture.Require();
        var id = $"commit-{Guid.NewGuid():N}"[..24];
        var body = Payloads.DiamondDeploy(id, fixture.Receiver);
        body["commitTime"] = commitTime == "future" ? DateTimeOffset.UtcNow.AddHours(1).ToString("yyyy-MM-ddTHH:mm:ssZ") : commitTime;

        using var reply = await runtime.PostJsonAsync("/api/deploys", body);

        Assert.Equal(HttpStatusCode.BadRequest, reply.StatusCode);
        var errors = JsonNode.Parse(await reply.Content.ReadAsStringAsync())!["errors"]!["commitTime"]!.AsArray();
        Assert.Contains(problem, errors[0]!.GetValue<string>());
        using var stored = await runtime.Http.GetAsync($"/api/deploys/{id}");
        Assert.Equal(HttpStatusCode.NotFound, stored.StatusCode);
    }
}
