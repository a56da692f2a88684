using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using RollbackFunctions.Api.Http;

namespace RollbackFunctions.Integration.Tests.Api;

/// <summary>
/// The OpenAPI document: served by the local runtime, the same as <c>docs/openapi.json</c>, naming
/// exactly the routes the runtime maps. Every reply any test gets through <c>TestRuntime.Http</c> is
/// checked against it (<see cref="OpenApiContractCheck"/>); the last test shows that check can fail.
/// </summary>
public sealed class OpenApiDocumentTests(RuntimeFixture fixture) : IClassFixture<RuntimeFixture>
{
    internal const string WriteSetting = "ROLLBACK_WRITE_DOCS";

    [SkippableFact]
    public async Task ServedDocument_IsOpenApi31_AndTheOneKeptInTheRepository()
    {
        var runtime = fixture.Require();
        var served = JsonNode.Parse(await runtime.Http.GetStringAsync(ApiDocument.Route))!.AsObject();
        var text = served.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
        var kept = Path.Combine(Repo.Root, "docs", "openapi.json");
        if (Environment.GetEnvironmentVariable(WriteSetting) == "1")
        {
            await File.WriteAllTextAsync(kept, text);
        }

        Assert.StartsWith("3.1", (string?)served["openapi"]);
        Assert.True(
            File.Exists(kept) && JsonNode.DeepEquals(served, JsonNode.Parse(await File.ReadAllTextAsync(kept))),
            $"docs/openapi.json is not what the runtime serves; after changing routes or replies run {WriteSetting}=1 ./scripts/test.sh --filter OpenApiDocumentTests and commit it");
    }

    [SkippableFact]
    public async Task Document_NamesEveryMappedRoute_AndNoOther()
    {
        var runtime = fixture.Require();
        var document = JsonNode.Parse(await runtime.Http.GetStringAsync(ApiDocument.Route))!.AsObject();

        var mapped = runtime.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText!.TrimStart('/').StartsWith(ApiRoutes.Prefix + "/", StringComparison.Ordinal) && e.RoutePattern.RawText != ApiDocument.Route)
            .SelectMany(e => e.Metadata.GetMetadata<HttpMethodMetadata>()!.HttpMethods.Select(m => $"{m} /{e.RoutePattern.RawText!.TrimStart('/')}"))
            .Order(StringComparer.Ordinal);
        var documented = document["paths"]!.AsObject()
            .SelectMany(p => p.Value!.AsObject().Select(o => $"{o.Key.ToUpperInvariant()} {p.Key}"))
            .Order(StringComparer.Ordinal);

        Assert.Equal(mapped, documented);
    }

    [Fact]
    public void Check_FindsUndeclaredStatuses_AndBodiesThatDisagree()
    {
        var contract = OpenApiContract.FromRepository();
        const string gate = """{"proceed":true}""";

        Assert.Null(contract.Check("GET", "/api/deploys/d-1/gate", 200, "application/json", gate));
        Assert.Contains("declares no such status", contract.Check("GET", "/api/deploys/d-1/gate", 418, "application/json", gate));
        Assert.Contains("'surprise' is not in the document", contract.Check("GET", "/api/deploys/d-1/gate", 200, "application/json", """{"proceed":true,"surprise":1}"""));
        Assert.Contains("required property 'proceed'", contract.Check("GET", "/api/deploys/d-1/gate", 200, "application/json", """{"reason":"x"}"""));
        Assert.Contains("$.proceed: string", contract.Check("GET", "/api/deploys/d-1/gate", 200, "application/json", """{"proceed":"yes"}"""));
        Assert.Contains("is not one of", contract.Check("GET", "/api/rollbacks", 200, "application/json",
            """[{"rollbackId":"r","deployId":"d","phase":"sideways","trigger":"alert","claimedAt":"2026-11-28T00:00:00Z"}]"""));
        Assert.Contains("replied 'text/plain'", contract.Check("GET", "/api/deploys/d-1/gate", 200, "text/plain", "ok"));
        Assert.Null(contract.Check("GET", "/api/not-a-route", 404, "application/problem+json", "{}"));
    }
}
