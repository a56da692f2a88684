using System.Text.Json.Nodes;
using RollbackFunctions.Api;

namespace RollbackFunctions.Integration.Tests.Functions;

/// <summary>
/// The worker middleware applies to HTTP triggers only, decided from the function's bindings before
/// any service is resolved: on scale-in a resolution from a disposed container fails an
/// orchestration for good (azure-functions-durable-extension #3216, #3231, #3452).
/// </summary>
public sealed class MiddlewareScopeTests
{
    [Fact]
    public void UnavailableMiddleware_AppliesToHttpTriggersOnly_NeverOrchestrationsActivitiesOrTimers()
    {
        var metadata = Path.Combine(Repo.BuildOutput("RollbackFunctions"), "functions.metadata");
        Assert.True(File.Exists(metadata), $"{metadata} is missing: build the solution first (dotnet build RollbackFunctions.sln)");
        var functions = JsonNode.Parse(File.ReadAllText(metadata))!.AsArray()
            .Select(f => (Name: f!["name"]!.GetValue<string>(), Types: f["bindings"]!.AsArray().Select(b => b!["type"]!.GetValue<string>()).ToList()))
            .ToList();

        var applied = functions.Where(f => UnavailableMiddleware.IsHttpTrigger(f.Types)).ToList();
        var skipped = functions.Except(applied).ToList();

        Assert.NotEmpty(applied);
        Assert.All(applied, f => Assert.Contains("httpTrigger", f.Types));
        Assert.Contains(skipped, f => f.Types.Contains("orchestrationTrigger"));
        Assert.Contains(skipped, f => f.Types.Contains("activityTrigger"));
        Assert.Contains(skipped, f => f.Types.Contains("timerTrigger"));
        Assert.All(skipped, f => Assert.DoesNotContain("httpTrigger", f.Types));
    }
}
