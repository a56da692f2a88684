using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Ports;

namespace RollbackFunctions.Integration.Tests.Api;

/// <summary>
/// Know before it breaks: the rollback plan CI gets at registration, a rehearsal that changes
/// nothing, and the gate that waits for it where the environment requires it, on the local runtime.
/// </summary>
public sealed class PlanApiTests : IAsyncLifetime
{
    private TestRuntime? runtime;
    private LocalReceiver? receiver;

    private TestRuntime Runtime => runtime ?? throw new InvalidOperationException("the runtime did not start");

    [SkippableFact]
    public async Task Registration_AnswersThePlan_ReadyNeedsHumanOrNotReversible()
    {
        var ready = await RegisterAsync("staging", Webhook("rollout"));
        var needsHuman = await RegisterAsync("prod", Webhook("rollout"));
        var notReversible = await RegisterAsync("staging", new JsonObject
        {
            ["id"] = "schema", ["kind"] = "sqlMigration",
            ["params"] = new JsonObject { ["database"] = "orders", ["migration"] = "20261201_split", ["irreversible"] = true },
        });

        Assert.Equal("ready", (string?)ready["plan"]!["readiness"]);
        Assert.Equal("needsHuman", (string?)needsHuman["plan"]!["readiness"]);
        var waiting = needsHuman["plan"]!["levels"]![0]![0]!;
        Assert.Equal("approval", (string?)waiting["revert"]);
        Assert.Contains("policy: webhook steps in prod", (string?)waiting["why"]);
        Assert.Equal("notReversible", (string?)notReversible["plan"]!["readiness"]);
        Assert.Equal("irreversible", (string?)notReversible["plan"]!["levels"]![0]![0]!["revert"]);
        var plan = await Runtime.GetJsonAsync($"/api/deploys/{(string?)notReversible["deployId"]}/plan");
        Assert.Equal("notReversible", (string?)plan["readiness"]);
    }

    [SkippableFact]
    public async Task RequireRehearsed_GateIs409UntilARehearsalPasses_TheRehearsalChangesNothing()
    {
        var step = Webhook("rollout");
        step["params"]!["rehearseUrl"] = receiver!.UrlFor("rehearse-rollout");
        var deploy = await RegisterAsync("canary", step);
        var id = (string)deploy["deployId"]!;

        using var before = await Runtime.Http.GetAsync($"/api/deploys/{id}/gate");
        using var rehearse = await Runtime.Http.PostAsync($"/api/deploys/{id}/rehearse", null);
        using var after = await Runtime.Http.GetAsync($"/api/deploys/{id}/gate");

        Assert.Equal(HttpStatusCode.Conflict, before.StatusCode);
        Assert.Contains("rehearse", (string?)(await before.Content.ReadFromJsonAsync<JsonObject>())!["reason"]);
        Assert.Equal(HttpStatusCode.OK, rehearse.StatusCode);
        var plan = (await rehearse.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal("ok", (string?)plan["rehearsal"]!["steps"]!["rollout"]!["outcome"]);
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        var call = Assert.Single(receiver.Received);
        Assert.Equal("rehearse-rollout", call.Path); // the revert URL itself was never called
        Assert.True(JsonNode.Parse(call.Body)!["rehearsal"]!.GetValue<bool>());
        // On the chain a rollback of the deploy would use: its audit trail starts with the rehearsal.
        var audit = await Runtime.Services.GetRequiredService<IAuditLog>().ReadAsync(Identifiers.RollbackIdFor(id), default);
        Assert.Contains(audit.Rows, r => r.Action == "rehearsal.ran");

        // The incident report later says what the rehearsal had found.
        (await Runtime.Http.PostAsync($"/api/deploys/{id}/rollback", null)).Dispose();
        await Runtime.WaitForTerminalRollbackAsync(Identifiers.RollbackIdFor(id), TimeSpan.FromSeconds(60));
        var report = await Runtime.Http.GetStringAsync($"/api/rollbacks/{Identifiers.RollbackIdFor(id)}/report");
        Assert.Contains("Rehearsed", report);
        Assert.Contains("`rollout` Ok", report);
    }

    [SkippableFact]
    public async Task RequireRehearsed_AStepWithoutADryRun_KeepsTheGateClosed_UntilAnOperatorWaivesIt()
    {
        var deploy = await RegisterAsync("canary", Webhook("purge"));
        var id = (string)deploy["deployId"]!;
        (await Runtime.Http.PostAsync($"/api/deploys/{id}/rehearse", null)).Dispose();

        using var closed = await Runtime.Http.GetAsync($"/api/deploys/{id}/gate");
        using var noReason = await Runtime.PostJsonAsync($"/api/deploys/{id}/waive", "{}");
        using var waived = await Runtime.PostJsonAsync($"/api/deploys/{id}/waive", """{"reason":"the CDN purge has no dry run","actor":"alice"}""");
        using var open = await Runtime.Http.GetAsync($"/api/deploys/{id}/gate");

        Assert.Equal(HttpStatusCode.Conflict, closed.StatusCode);
        Assert.Contains("purge (NotRehearsable)", (string?)(await closed.Content.ReadFromJsonAsync<JsonObject>())!["reason"]);
        Assert.Equal(HttpStatusCode.BadRequest, noReason.StatusCode);
        Assert.Equal(HttpStatusCode.OK, waived.StatusCode);
        Assert.Equal(HttpStatusCode.OK, open.StatusCode);
        Assert.Empty(receiver!.Received);
    }

    private async Task<JsonObject> RegisterAsync(string environment, JsonObject step)
    {
        var id = $"plan-{Guid.NewGuid():N}";
        using var response = await Runtime.PostJsonAsync("/api/deploys", new JsonObject
        {
            ["deployId"] = id, ["service"] = "checkout", ["environment"] = environment, ["version"] = "3.0.0",
            ["steps"] = new JsonArray(step),
        });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, body);
        return JsonNode.Parse(body)!.AsObject();
    }

    private JsonObject Webhook(string id) => Payloads.Step(id, receiver!);

    public async Task InitializeAsync()
    {
        receiver = await LocalReceiver.StartAsync();
        runtime = await TestRuntime.StartAsync(
            "Rollback:Policy:Environments:prod:RequireApproval:0=webhook",
            "Rollback:Policy:Environments:canary:RequireReadiness=rehearsed",
            "Rollback:Policy:Environments:staging:AutoRollback=true", // declared: once any environment is, all must be
            "Rollback:Executors:Sql:Databases:orders:AllowInlineDown=true",
            "Rollback:Executors:Sql:Databases:orders:Environments:0=staging",
            "Rollback:Executors:Sql:Databases:orders:ConnectionString=Host=127.0.0.1;Port=1;Database=orders");
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
