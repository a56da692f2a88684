using System.Text.Json.Nodes;
using RollbackFunctions.Core.Deploys;

namespace RollbackFunctions.Integration.Tests.EndToEnd;

/// <summary>
/// Durable timers on the Azure Storage provider (Azurite) fire early when due in under a second;
/// verification must still sample no faster than its interval, or a 10-minute window becomes a
/// hot loop of queries.
/// </summary>
public sealed class DurableTimerTests(RuntimeFixture fixture) : IClassFixture<RuntimeFixture>
{
    [SkippableFact]
    public async Task Verification_OnTheAzureStorageEngine_SamplesNoFasterThanItsInterval()
    {
        var runtime = fixture.Require();
        var id = $"timer-{Guid.NewGuid():N}";
        var deploy = Payloads.DiamondDeploy(id, fixture.Receiver, "timers");
        deploy["steps"] = new JsonArray(Payloads.Step("schema", fixture.Receiver));
        deploy["conditions"] = new JsonObject
        {
            // No Prometheus is configured here: every sample is an Error, so verification runs the whole window.
            ["checks"] = new JsonArray(new JsonObject { ["name"] = "errors", ["query"] = "up", ["unhealthyAbove"] = 1 }),
            ["interval"] = "00:00:01",
            ["verifyWindow"] = "00:00:06",
        };
        await Api.AlertIntakeApiTests.RegisterCompletedAsync(runtime, deploy);
        (await runtime.Http.PostAsync($"/api/deploys/{id}/rollback", null)).Dispose();

        var rollback = await runtime.WaitForTerminalRollbackAsync(Identifiers.RollbackIdFor(id), TimeSpan.FromSeconds(60));

        var times = rollback["verification"]!.AsArray().Select(s => DateTimeOffset.Parse(s!["at"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.InRange(times.Count, 2, 7); // a 6 s window at 1 s can hold 7; the hot loop this guards against made dozens
        Assert.All(times.Zip(times.Skip(1)), pair => Assert.True(pair.Second - pair.First >= TimeSpan.FromMilliseconds(950), $"samples {pair.First:O} and {pair.Second:O} are closer than the 1 s interval"));
        Assert.Equal("failed", rollback["phase"]!.GetValue<string>());
    }
}
