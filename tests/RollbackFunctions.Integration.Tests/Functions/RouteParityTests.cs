using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using RollbackFunctions.Api.Http;
using RollbackFunctions.Core.Orchestration;

namespace RollbackFunctions.Integration.Tests.Functions;

/// <summary>
/// Facts written twice by design (the Functions SDK needs attributes; the local runtime maps
/// routes and registers tasks from lists): a test per fact, so a forgotten entry fails here, not
/// in production.
/// </summary>
public sealed class RouteParityTests
{
    private static readonly JsonArray FunctionsMetadata = ReadMetadata();

    [Fact]
    public void FunctionsMetadata_DeclaresExactlyTheLocalRuntimeRoutes_AllAnonymousToTheHost()
    {
        var triggers = FunctionsMetadata
            .SelectMany(f => f!["bindings"]!.AsArray())
            .Where(b => b!["type"]!.GetValue<string>() == "httpTrigger")
            .ToList();
        var functions = triggers
            .SelectMany(b => b!["methods"]!.AsArray().Select(m => $"{m!.GetValue<string>().ToUpperInvariant()} /{ApiRoutes.Prefix}/{b!["route"]!.GetValue<string>()}"))
            .Order()
            .ToList();

        // The host's own keys would refuse the Bearer keys Alertmanager sends before our roles could decide.
        Assert.All(triggers, b => Assert.Equal("anonymous", b!["authLevel"]!.GetValue<string>().ToLowerInvariant()));

        var app = WebApplication.CreateSlimBuilder().Build();
        app.MapRollbackApi();
        var local = ((IEndpointRouteBuilder)app).DataSources
            .SelectMany(d => d.Endpoints)
            .OfType<RouteEndpoint>()
            .SelectMany(e => e.Metadata.GetMetadata<HttpMethodMetadata>()!.HttpMethods.Select(m => $"{m} /{e.RoutePattern.RawText!.TrimStart('/')}"))
            .Order()
            .ToList();

        Assert.NotEmpty(local);
        Assert.Equal(local, functions);
    }

    [Fact]
    public void FunctionsMetadata_DeclaresATriggerForEveryDurableTask()
    {
        string[] TriggersOf(string type) => FunctionsMetadata
            .Where(f => f!["bindings"]!.AsArray().Any(b => b!["type"]!.GetValue<string>() == type))
            .Select(f => f!["name"]!.GetValue<string>())
            .Order(StringComparer.Ordinal)
            .ToArray();

        Assert.Equal(RollbackTasks.Orchestrators.Select(t => t.Name).Order(StringComparer.Ordinal), TriggersOf("orchestrationTrigger"));
        Assert.Equal(RollbackTasks.Activities.Select(t => t.Name).Order(StringComparer.Ordinal), TriggersOf("activityTrigger"));
    }

    private static JsonArray ReadMetadata()
    {
        var metadata = Path.Combine(Repo.BuildOutput("RollbackFunctions"), "functions.metadata");
        Assert.True(File.Exists(metadata), $"{metadata} is missing: build the solution first (dotnet build RollbackFunctions.sln)");
        return JsonNode.Parse(File.ReadAllText(metadata))!.AsArray();
    }
}
