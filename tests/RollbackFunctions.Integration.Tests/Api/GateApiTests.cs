using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using RollbackFunctions.Core.Deploys;

namespace RollbackFunctions.Integration.Tests.Api;

public sealed class GateApiTests(RuntimeFixture fixture) : IClassFixture<RuntimeFixture>
{
    [SkippableFact]
    public async Task StepsAndComplete_RecordWhatCiApplied()
    {
        var runtime = fixture.Require();
        var id = $"gate-{Guid.NewGuid():N}";
        (await runtime.PostJsonAsync("/api/deploys", Payloads.DiamondDeploy(id, fixture.Receiver))).Dispose();

        using var applied = await runtime.PostJsonAsync($"/api/deploys/{id}/steps/schema", """{"status":"applied"}""");
        using var failed = await runtime.PostJsonAsync($"/api/deploys/{id}/steps/config", """{"status":"failed"}""");
        using var completed = await runtime.Http.PostAsync($"/api/deploys/{id}/complete", null);

        Assert.Equal(HttpStatusCode.OK, applied.StatusCode);
        Assert.Equal(HttpStatusCode.OK, failed.StatusCode);
        var deploy = (await completed.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal("baking", deploy["state"]!.GetValue<string>());
        Assert.NotNull(deploy["watchUntil"]);
        var statuses = deploy["steps"]!.AsArray().ToDictionary(s => s!["id"]!.GetValue<string>(), s => s!["status"]!.GetValue<string>());
        Assert.Equal("applied", statuses["schema"]);
        Assert.Equal("failed", statuses["config"]);
        Assert.Equal("applied", statuses["rollout"]);
    }

    [SkippableTheory]
    [InlineData("schema", """{"status":"reverted"}""", HttpStatusCode.BadRequest)]
    [InlineData("schema", """{"state":"applied"}""", HttpStatusCode.BadRequest)]
    [InlineData("ghost", """{"status":"applied"}""", HttpStatusCode.NotFound)]
    public async Task ReportStep_BadReport_IsRefused(string stepId, string body, HttpStatusCode expected)
    {
        var runtime = fixture.Require();
        var id = $"gate-{Guid.NewGuid():N}";
        (await runtime.PostJsonAsync("/api/deploys", Payloads.DiamondDeploy(id, fixture.Receiver))).Dispose();

        using var response = await runtime.PostJsonAsync($"/api/deploys/{id}/steps/{stepId}", body);

        Assert.Equal(expected, response.StatusCode);
    }

    [SkippableFact]
    public async Task Gate_ProceedsUntilAManualRollbackHaltsTheDeploy()
    {
        var runtime = fixture.Require();
        await using var receiver = await LocalReceiver.StartAsync();
        var id = $"gate-{Guid.NewGuid():N}";
        (await runtime.PostJsonAsync("/api/deploys", Payloads.DiamondDeploy(id, receiver))).Dispose();
        (await runtime.PostJsonAsync($"/api/deploys/{id}/steps/schema", """{"status":"applied"}""")).Dispose();

        using var open = await runtime.Http.GetAsync($"/api/deploys/{id}/gate");
        using var started = await runtime.PostJsonAsync($"/api/deploys/{id}/rollback", """{"reason":"canary looks wrong","actor":"alice"}""");
        using var again = await runtime.Http.PostAsync($"/api/deploys/{id}/rollback", null);
        using var closed = await runtime.Http.GetAsync($"/api/deploys/{id}/gate");

        Assert.Equal(HttpStatusCode.OK, open.StatusCode);
        Assert.True((await open.Content.ReadFromJsonAsync<JsonObject>())!["proceed"]!.GetValue<bool>());
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.False((await again.Content.ReadFromJsonAsync<JsonObject>())!["started"]!.GetValue<bool>());
        Assert.Equal(HttpStatusCode.Conflict, closed.StatusCode);
        var gate = (await closed.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.False(gate["proceed"]!.GetValue<bool>());
        Assert.Equal(Identifiers.RollbackIdFor(id), gate["rollbackId"]!.GetValue<string>());
        var rollback = await runtime.WaitForTerminalRollbackAsync(Identifiers.RollbackIdFor(id), TimeSpan.FromSeconds(60));
        Assert.Equal("alice", rollback["trigger"]!["actor"]!.GetValue<string>());
        // schema was applied; config and flags, pending on it, were maybe in flight: their receivers
        // are asked first (they judge their own targets), schema last; rollout never started.
        Assert.Equal("schema", receiver.Paths[^1]);
        Assert.Equal(["config", "flags", "schema"], receiver.Paths.Order(StringComparer.Ordinal));
        using var completeAfterHalt = await runtime.Http.PostAsync($"/api/deploys/{id}/complete", null);
        Assert.Equal(HttpStatusCode.Conflict, completeAfterHalt.StatusCode);
    }

    [SkippableFact]
    public async Task StepReportedAfterTheHalt_IsRecordedRefusedAndStaysVisiblyApplied()
    {
        var runtime = fixture.Require();
        await using var receiver = await LocalReceiver.StartAsync();
        var id = $"gate-{Guid.NewGuid():N}";
        (await runtime.PostJsonAsync("/api/deploys", Payloads.DiamondDeploy(id, receiver))).Dispose();
        (await runtime.PostJsonAsync($"/api/deploys/{id}/steps/schema", """{"status":"applied"}""")).Dispose();
        (await runtime.Http.PostAsync($"/api/deploys/{id}/rollback", null)).Dispose();
        await runtime.WaitForTerminalRollbackAsync(Identifiers.RollbackIdFor(id), TimeSpan.FromSeconds(60));

        using var late = await runtime.PostJsonAsync($"/api/deploys/{id}/steps/config", """{"status":"applied"}""");

        Assert.Equal(HttpStatusCode.Conflict, late.StatusCode);
        Assert.Contains("after the halt is recorded", await late.Content.ReadAsStringAsync());
        var steps = (await runtime.GetJsonAsync($"/api/deploys/{id}"))["steps"]!.AsArray()
            .ToDictionary(s => s!["id"]!.GetValue<string>(), s => s!["status"]!.GetValue<string>());
        Assert.Equal("applied", steps["config"]);
        Assert.Equal("reverted", steps["schema"]);
        var audit = await runtime.GetJsonAsync($"/api/rollbacks/{Identifiers.RollbackIdFor(id)}/audit");
        Assert.Contains(audit["rows"]!.AsArray(), r => r!["action"]!.GetValue<string>() == "step.reportedAfterHalt");
    }

    [SkippableFact]
    public async Task Rollback_UnknownDeploy_Answers404()
    {
        var runtime = fixture.Require();

        using var response = await runtime.Http.PostAsync("/api/deploys/nope/rollback", null);
        using var status = await runtime.Http.GetAsync($"/api/rollbacks/{Identifiers.RollbackIdFor("nope")}");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, status.StatusCode);
    }

    [SkippableFact]
    public async Task Health_StorageAndEngineUp_Answers200()
    {
        var runtime = fixture.Require();

        using var response = await runtime.Http.GetAsync("/api/health");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
