using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Integration.Tests.Api;

namespace RollbackFunctions.Integration.Tests.EndToEnd;

/// <summary>CI registers a diamond, Alertmanager fires, the reverts arrive in reverse dependency order.</summary>
public sealed class DiamondRollbackTests(RuntimeFixture fixture) : IClassFixture<RuntimeFixture>
{
    [SkippableFact]
    public async Task AlertmanagerFires_RevertsArriveInReverseOrder_GateCloses_RollbackSucceeds()
    {
        var runtime = fixture.Require();
        await using var receiver = await LocalReceiver.StartAsync();
        var id = $"e2e-{Guid.NewGuid():N}";
        await AlertIntakeApiTests.RegisterCompletedAsync(runtime, Payloads.DiamondDeploy(id, receiver, service: "checkout-e2e"));

        var firing = Payloads.AlertmanagerFiring("checkout-e2e", "prod");
        using var alert = await runtime.PostJsonAsync("/api/alerts/alertmanager", firing);
        using var gate = await runtime.Http.GetAsync($"/api/deploys/{id}/gate");
        await receiver.WaitForAsync(r => r.Count == 4, TimeSpan.FromSeconds(60), "four reverts");
        (await runtime.PostJsonAsync("/api/alerts/alertmanager", Payloads.Resolved(firing))).Dispose();
        var rollback = await runtime.WaitForTerminalRollbackAsync(Identifiers.RollbackIdFor(id), TimeSpan.FromSeconds(60));

        Assert.Equal(HttpStatusCode.Accepted, alert.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, gate.StatusCode);
        Assert.Equal("succeeded", rollback["phase"]!.GetValue<string>());
        var paths = receiver.Paths;
        Assert.Equal("rollout", paths[0]);
        Assert.Equal(["config", "flags"], paths.Skip(1).Take(2).Order());
        Assert.Equal("schema", paths[3]);
        Assert.Equal(4, paths.Count);

        var schema = receiver.Received.Single(r => r.Path == "schema");
        var body = JsonNode.Parse(schema.Body)!;
        Assert.Equal(id, body["deployId"]!.GetValue<string>());
        Assert.Equal("schema", body["stepId"]!.GetValue<string>());
        Assert.Equal("1.4.2", body["version"]!.GetValue<string>());
        Assert.Equal("1.4.1", body["previousVersion"]!.GetValue<string>());
        Assert.Equal($"{Identifiers.RollbackIdFor(id)}:schema", schema.IdempotencyKey);

        var steps = rollback["steps"]!.AsArray();
        Assert.All(steps, s => Assert.Equal("reverted", s!["status"]!.GetValue<string>()));
        Assert.All(steps, s => Assert.NotNull(s!["durationMs"]));
        Assert.Equal(2, rollback["trigger"]!["alerts"]!.AsArray().Count);
        var deploy = await runtime.GetJsonAsync($"/api/deploys/{id}");
        Assert.Equal("rolledBack", deploy["state"]!.GetValue<string>());
    }

    [SkippableFact]
    public async Task StepRevertRefused_BlocksItsDependencies_OtherBranchReverts_RollbackFails()
    {
        var runtime = fixture.Require();
        await using var receiver = await LocalReceiver.StartAsync();
        receiver.Statuses["config"] = 422; // not transient: no retry, an outcome (409 would be the receiver's drift)
        var id = $"e2e-{Guid.NewGuid():N}";
        await AlertIntakeApiTests.RegisterCompletedAsync(runtime, Payloads.DiamondDeploy(id, receiver, service: "cart-e2e"));

        (await runtime.PostJsonAsync("/api/alerts/alertmanager", Payloads.AlertmanagerFiring("cart-e2e", "prod"))).Dispose();
        var rollback = await runtime.WaitForTerminalRollbackAsync(Identifiers.RollbackIdFor(id), TimeSpan.FromSeconds(60));

        Assert.Equal("failed", rollback["phase"]!.GetValue<string>());
        var statuses = rollback["steps"]!.AsArray().ToDictionary(s => s!["stepId"]!.GetValue<string>(), s => s!["status"]!.GetValue<string>());
        Assert.Equal("reverted", statuses["rollout"]);
        Assert.Equal("reverted", statuses["flags"]);
        Assert.Equal("revertFailed", statuses["config"]);
        Assert.Equal("blocked", statuses["schema"]);
        Assert.DoesNotContain("schema", receiver.Paths);
        Assert.Contains("manual intervention", rollback["summary"]!.GetValue<string>());
        Assert.Contains("422", rollback["steps"]!.AsArray().Single(s => s!["stepId"]!.GetValue<string>() == "config")!["detail"]!.GetValue<string>());
        Assert.Equal("rollbackFailed", (await runtime.GetJsonAsync($"/api/deploys/{id}"))["state"]!.GetValue<string>());
    }

    [SkippableFact]
    public async Task AlertMidDeploy_AppliedAndInFlightStepsAreReverted_NeverStartedOnesSkipped()
    {
        var runtime = fixture.Require();
        await using var receiver = await LocalReceiver.StartAsync();
        var id = $"e2e-{Guid.NewGuid():N}";
        (await runtime.PostJsonAsync("/api/deploys", Payloads.DiamondDeploy(id, receiver, service: "search-e2e"))).Dispose();
        foreach (var step in new[] { "schema", "config" })
        {
            (await runtime.PostJsonAsync($"/api/deploys/{id}/steps/{step}", """{"status":"applied"}""")).Dispose();
        }

        var firing = Payloads.AlertmanagerFiring("search-e2e", "prod");
        using var alert = await runtime.PostJsonAsync("/api/alerts/alertmanager", firing);
        await receiver.WaitForAsync(r => r.Count == 3, TimeSpan.FromSeconds(60), "three reverts");
        (await runtime.PostJsonAsync("/api/alerts/alertmanager", Payloads.Resolved(firing))).Dispose();
        var rollback = await runtime.WaitForTerminalRollbackAsync(Identifiers.RollbackIdFor(id), TimeSpan.FromSeconds(60));

        Assert.True((await alert.Content.ReadFromJsonAsync<JsonObject>())!["deploys"]![0]!["started"]!.GetValue<bool>());
        // flags was pending with schema applied: maybe in flight, so its receiver is asked before schema.
        Assert.Equal("schema", receiver.Paths[^1]);
        Assert.Equal(["config", "flags", "schema"], receiver.Paths.Order(StringComparer.Ordinal));
        Assert.Equal("succeeded", rollback["phase"]!.GetValue<string>());
        var statuses = rollback["steps"]!.AsArray().ToDictionary(s => s!["stepId"]!.GetValue<string>(), s => s!["status"]!.GetValue<string>());
        Assert.Equal("skipped", statuses["rollout"]);
        Assert.Equal("reverted", statuses["flags"]);
    }

    [SkippableFact]
    public async Task StepTargetFailsTransiently_503ThenATimeout_RetriedByPolicy_RollbackSucceeds()
    {
        await using var runtime = await TestRuntime.StartAsync("Rollback:Executors:Webhook:AttemptTimeout=00:00:01");
        await using var receiver = await LocalReceiver.StartAsync();
        var id = $"flaky-{Guid.NewGuid():N}";
        var deploy = Payloads.DiamondDeploy(id, receiver, service: "flaky-e2e");
        deploy["steps"] = new JsonArray(Payloads.Step("rollout", receiver));
        await AlertIntakeApiTests.RegisterCompletedAsync(runtime, deploy);
        // The target answers 503 to the first call, hangs past the attempt timeout on the second, then works.
        var calls = 0;
        receiver.OnReceived = call =>
        {
            if (call.Path != "rollout")
            {
                return;
            }

            switch (Interlocked.Increment(ref calls))
            {
                case 1:
                    receiver.Statuses["rollout"] = 503;
                    break;
                case 2:
                    receiver.Statuses.TryRemove("rollout", out _);
                    receiver.Delays["rollout"] = TimeSpan.FromSeconds(3);
                    break;
                default:
                    receiver.Delays.TryRemove("rollout", out _);
                    break;
            }
        };

        var firing = Payloads.AlertmanagerFiring("flaky-e2e", "prod");
        (await runtime.PostJsonAsync("/api/alerts/alertmanager", firing)).Dispose();
        await receiver.WaitForAsync(_ => receiver.Succeeded.Any(r => r.Path == "rollout"), TimeSpan.FromSeconds(90), "a revert that took effect");
        (await runtime.PostJsonAsync("/api/alerts/alertmanager", Payloads.Resolved(firing))).Dispose();
        var rollback = await runtime.WaitForTerminalRollbackAsync(Identifiers.RollbackIdFor(id), TimeSpan.FromSeconds(60));

        Assert.Equal("succeeded", rollback["phase"]!.GetValue<string>());
        var received = receiver.Received.Where(r => r.Path == "rollout").ToList();
        Assert.True(received.Count >= 3, $"a 503 and a timeout before success: {received.Count} call(s)");
        Assert.Single(received.Select(c => c.IdempotencyKey).Distinct());
    }
}
