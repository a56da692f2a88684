using System.Net.Http.Json;
using System.Text.Json.Nodes;
using RollbackFunctions.Core.Deploys;

namespace RollbackFunctions.Integration.Tests.EndToEnd;

/// <summary>
/// Issue 9, finding 8: without checks, a rollback is verified by its alerts resolving. Those must
/// be the alerts that matched its deploy, and an alert firing again must count against health.
/// </summary>
public sealed class AlertVerificationTests(RuntimeFixture fixture) : IClassFixture<RuntimeFixture>
{
    [SkippableFact]
    public async Task AlertOfAnotherClusterInTheSameWebhook_IsNotEvidence_SoResolvingTheMatchedOneVerifies()
    {
        var runtime = fixture.Require();
        var (id, firing) = await DeployAndFiringAsync(runtime);
        firing["alerts"]![1]!["labels"]!["cluster"] = "us2"; // the deploy is in eu1: the correlator rejects this one

        using var started = await runtime.PostJsonAsync("/api/alerts/alertmanager", firing);
        var rollbackId = Identifiers.RollbackIdFor(id);
        var trigger = (await runtime.GetJsonAsync($"/api/rollbacks/{rollbackId}"))["trigger"]!["alerts"]!.AsArray();
        var matchedOnly = firing.DeepClone().AsObject();
        matchedOnly["alerts"]!.AsArray().RemoveAt(1);
        (await runtime.PostJsonAsync("/api/alerts/alertmanager", Payloads.Resolved(matchedOnly))).Dispose();
        var rollback = await runtime.WaitForTerminalRollbackAsync(rollbackId, TimeSpan.FromSeconds(60));

        Assert.Single(trigger);
        Assert.Equal("succeeded", rollback["phase"]!.GetValue<string>());
    }

    [SkippableFact]
    public async Task AlertFiringAgainAfterItResolved_KeepsTheRollbackUnverified()
    {
        var runtime = fixture.Require();
        var (id, firing) = await DeployAndFiringAsync(runtime);
        firing["alerts"]!.AsArray().RemoveAt(1);
        var again = firing.DeepClone().AsObject();
        again["alerts"]![0]!["startsAt"] = DateTimeOffset.UtcNow.AddSeconds(1).ToString("O"); // a new episode of the same alert

        (await runtime.PostJsonAsync("/api/alerts/alertmanager", firing)).Dispose();
        (await runtime.PostJsonAsync("/api/alerts/alertmanager", again)).Dispose();
        (await runtime.PostJsonAsync("/api/alerts/alertmanager", Payloads.Resolved(firing))).Dispose();
        var rollbackId = Identifiers.RollbackIdFor(id);
        var unhealthy = await Eventually.ReturnsAsync(
            async () =>
            {
                var samples = (await runtime.GetJsonAsync($"/api/rollbacks/{rollbackId}"))["verification"]!.AsArray();
                return samples.Count >= 3 ? samples : null;
            },
            TimeSpan.FromSeconds(90),
            () => "verification never sampled three times");

        Assert.All(unhealthy, s => Assert.Equal("unhealthy", s!["verdict"]!.GetValue<string>()));
        Assert.Equal("verifying", (await runtime.GetJsonAsync($"/api/rollbacks/{rollbackId}"))["phase"]!.GetValue<string>());

        (await runtime.PostJsonAsync("/api/alerts/alertmanager", Payloads.Resolved(again))).Dispose();
        var rollback = await runtime.WaitForTerminalRollbackAsync(rollbackId, TimeSpan.FromSeconds(60));
        Assert.Equal("succeeded", rollback["phase"]!.GetValue<string>());
    }

    private async Task<(string DeployId, JsonObject Firing)> DeployAndFiringAsync(TestRuntime runtime)
    {
        var service = Repo.UniqueName("verify");
        var id = $"{service}-1";
        var deploy = Payloads.DiamondDeploy(id, fixture.Receiver, service);
        deploy["steps"] = new JsonArray(Payloads.Step("schema", fixture.Receiver));
        await Api.AlertIntakeApiTests.RegisterCompletedAsync(runtime, deploy);
        var firing = Payloads.AlertmanagerFiring(service, "prod");
        foreach (var alert in firing["alerts"]!.AsArray())
        {
            alert!["labels"]!["cluster"] = "eu1";
        }

        return (id, firing);
    }
}
