using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using RollbackFunctions.Core.Deploys;

namespace RollbackFunctions.Integration.Tests.Api;

/// <summary>
/// Never twice: once a rollback reverted a deploy, its version and the artifacts it introduced are
/// refused for that service and environment until released, on the local runtime.
/// </summary>
public sealed class QuarantineApiTests : IAsyncLifetime
{
    private TestRuntime? runtime;
    private LocalReceiver? receiver;

    private static readonly string Bad = "sha256:" + new string('d', 64);
    private static readonly string Fixed = "sha256:" + new string('e', 64);

    [SkippableFact]
    public async Task RolledBackVersion_IsRefusedUntilReleased_ANewerVersionIsAcceptedThroughout()
    {
        var runtime = Runtime;
        var service = $"q-{Guid.NewGuid():N}"[..20];
        // 1.9.0 was live; a first run of the pipeline registered 2.0.0 and stalled; a second run rolled it out.
        var live = await RegisterAsync(runtime, service, "1.9.0", Fixed, HttpStatusCode.Created);
        (await runtime.PostJsonAsync($"/api/deploys/{live}/complete", "{}")).Dispose();
        var stalled = await RegisterAsync(runtime, service, "2.0.0", Bad, HttpStatusCode.Created);
        var rolledBack = await RollBackAsync(runtime, service, "2.0.0", Bad);

        using var again = await Register(runtime, service, "2.0.0", Fixed);
        using var sameDigest = await Register(runtime, service, "2.0.1-retag", Bad);
        await RegisterAsync(runtime, service, "2.0.1", Fixed, HttpStatusCode.Created);
        using var stalledGate = await runtime.Http.GetAsync($"/api/deploys/{stalled}/gate");
        var listed = await runtime.Http.GetFromJsonAsync<JsonArray>("/api/quarantine");

        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        var problem = (await again.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal("quarantined", (string?)problem["type"]);
        Assert.Equal(rolledBack, (string?)problem["rollbackId"]);
        Assert.Contains("/api/quarantine/release", (string?)problem["detail"]);
        Assert.Equal(HttpStatusCode.Conflict, sameDigest.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, stalledGate.StatusCode);
        Assert.False((await stalledGate.Content.ReadFromJsonAsync<JsonObject>())!["proceed"]!.GetValue<bool>());
        var mine = listed!.Select(e => e!.AsObject()).Where(e => (string?)e["service"] == service).ToList();
        Assert.Equal(["digest " + Bad, "version 2.0.0"], mine.Select(e => $"{e["kind"]} {e["value"]}").Order());
        Assert.All(mine, e => Assert.Equal(rolledBack, (string?)e["rollbackId"]));

        using var released = await runtime.PostJsonAsync("/api/quarantine/release", new JsonObject
        {
            ["service"] = service, ["environment"] = "prod", ["version"] = "2.0.0", ["reason"] = "the cause was the config, fixed",
        });
        using var releasedAgain = await runtime.PostJsonAsync("/api/quarantine/release", new JsonObject
        {
            ["service"] = service, ["environment"] = "prod", ["version"] = "2.0.0", ["reason"] = "twice",
        });

        Assert.Equal(HttpStatusCode.OK, released.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, releasedAgain.StatusCode);
        await RegisterAsync(runtime, service, "2.0.0", Fixed, HttpStatusCode.Created);
        var audit = await runtime.GetJsonAsync($"/api/rollbacks/{rolledBack}/audit");
        Assert.Contains(audit["rows"]!.AsArray(), r => (string?)r!["action"] == "quarantine.added");
        Assert.Contains(audit["rows"]!.AsArray(), r => (string?)r!["action"] == "quarantine.released");
    }

    [SkippableTheory]
    [InlineData("""{"service":"s","environment":"prod","reason":"r"}""")]
    [InlineData("""{"service":"s","environment":"prod","version":"1","digest":"sha256:00","reason":"r"}""")]
    [InlineData("""{"service":"s","environment":"prod","version":"1"}""")]
    [InlineData("""{"service":"s","environment":"prod","digest":"md5:abc","reason":"r"}""")]
    public async Task Release_BadBody_Is400(string body)
    {
        var runtime = Runtime;

        using var response = await runtime.PostJsonAsync("/api/quarantine/release", body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [SkippableFact]
    public async Task Register_ArtifactWithoutAValidDigest_Is400_AndNothingIsStored()
    {
        var runtime = Runtime;
        var id = $"q-{Guid.NewGuid():N}";
        var deploy = Deploy(id, "q-bad", "1.0.0", "latest");

        using var response = await runtime.PostJsonAsync("/api/deploys", deploy);
        using var stored = await runtime.Http.GetAsync($"/api/deploys/{id}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("artifacts[0].digest", await response.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, stored.StatusCode);
    }

    private async Task<string> RollBackAsync(TestRuntime runtime, string service, string version, string digest)
    {
        var id = await RegisterAsync(runtime, service, version, digest, HttpStatusCode.Created);
        (await runtime.PostJsonAsync($"/api/deploys/{id}/steps/rollout", """{"status":"applied"}""")).Dispose();
        (await runtime.PostJsonAsync($"/api/deploys/{id}/rollback", """{"reason":"bad canary"}""")).Dispose();
        var rollback = await runtime.WaitForTerminalRollbackAsync(Identifiers.RollbackIdFor(id), TimeSpan.FromSeconds(60));
        Assert.Equal("reverted", (string?)rollback["steps"]!.AsArray().Single()!["status"]);
        return Identifiers.RollbackIdFor(id);
    }

    private async Task<string> RegisterAsync(TestRuntime runtime, string service, string version, string digest, HttpStatusCode expected)
    {
        var id = $"q-{Guid.NewGuid():N}";
        using var response = await Register(runtime, service, version, digest, id);
        Assert.True(expected == response.StatusCode, $"{version}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return id;
    }

    private Task<HttpResponseMessage> Register(TestRuntime runtime, string service, string version, string digest, string? id = null) =>
        runtime.PostJsonAsync("/api/deploys", Deploy(id ?? $"q-{Guid.NewGuid():N}", service, version, digest));

    private JsonObject Deploy(string id, string service, string version, string digest) => new()
    {
        ["deployId"] = id,
        ["service"] = service,
        ["environment"] = "prod",
        ["version"] = version,
        ["artifacts"] = new JsonArray(new JsonObject { ["name"] = "api", ["digest"] = digest }),
        ["steps"] = new JsonArray(Payloads.Step("rollout", receiver!)),
    };

    private TestRuntime Runtime => runtime ?? throw new InvalidOperationException("the runtime did not start");

    public async Task InitializeAsync()
    {
        receiver = await LocalReceiver.StartAsync();
        runtime = await TestRuntime.StartAsync("Rollback:Policy:QuarantineFor=7.00:00:00");
    }

    public async Task DisposeAsync()
    {
        if (runtime is not null)
        {
            await runtime.DisposeAsync();
        }

        await receiver!.DisposeAsync();
    }
}
