using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using RollbackFunctions.Api.Http;
using RollbackFunctions.Integration.Tests.Support;

namespace RollbackFunctions.Integration.Tests.Functions;

/// <summary>The Functions app and the local runtime must serve the same routes with the same methods.</summary>
public sealed class RouteParityTests
{
    [Fact]
    public void FunctionsMetadata_DeclaresExactlyTheLocalRuntimeRoutes()
    {
        var metadata = Path.Combine(Repo.BuildOutput("RollbackFunctions"), "functions.metadata");
        Assert.True(File.Exists(metadata), $"{metadata} is missing: build the solution first (dotnet build RollbackFunctions.sln)");

        var functions = JsonNode.Parse(File.ReadAllText(metadata))!.AsArray()
            .SelectMany(f => f!["bindings"]!.AsArray())
            .Where(b => b!["type"]!.GetValue<string>() == "httpTrigger")
            .SelectMany(b => b!["methods"]!.AsArray().Select(m => $"{m!.GetValue<string>().ToUpperInvariant()} /{ApiRoutes.Prefix}/{b["route"]!.GetValue<string>()}"))
            .Order()
            .ToList();

        var app = WebApplication.CreateSlimBuilder().Build();
        app.MapRollbackApi();
        var local = ((IEndpointRouteBuilder)app).DataSources
            .SelectMany(d => d.Endpoints)
            .OfType<RouteEndpoint>()
            .SelectMany(e => e.Metadata.GetMetadata<HttpMethodMetadata>()!.HttpMethods.Select(m => $"{m} /{e.RoutePattern.RawText!.TrimStart('/')}"))
            .Order()
            .ToList();

        Assert.Equal(15, local.Count);
        Assert.Equal(local, functions);
    }
}
