using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using RollbackFunctions.Core.Deploys;

namespace RollbackFunctions.Integration.Tests.Api;

/// <summary>
/// The guardrails on the local runtime: each environment name below has its own policy, so the
/// tests share one runtime without meeting. Warnings reach a Slack stand-in on the receiver.
/// </summary>
public sealed class PolicyApiTests(PolicyApiTests.PolicyRuntime fixture) : IClassFixture<PolicyApiTests.PolicyRuntime>
{
    [SkippableFact]
    public async Task AlertPastTheRateLimit_PagesInsteadOfRollingBack_OncePerWindow()
    {
        var (runtime, receiver) = fixture.Require();
        var service = Repo.UniqueName("lim");
        var first = await RegisterAsync(runtime, receiver, service, "limit");
        using var started = await runtime.PostJsonAsync("/api/alerts/alertmanager", Firing(service, "limit", "first"));
        Assert.True((await started.Content.ReadFromJsonAsync<JsonObject>())!["deploys"]![0]!["started"]!.GetValue<bool>());

        var second = await RegisterAsync(runtime, receiver, service, "limit");
        var alert = Firing(service, "limit", "second");
        using var refused = await runtime.PostJsonAsync("/api/alerts/alertmanager", alert);
        using var resent = await runtime.PostJsonAsync("/api/alerts/alertmanager", alert);

        var start = (await refused.Content.ReadFromJsonAsync<JsonObject>())!["deploys"]!.AsArray().Single()!;
        Assert.Equal(HttpStatusCode.Accepted, refused.StatusCode);
        Assert.Equal(second, start["deployId"]!.GetValue<string>());
        Assert.False(start["started"]!.GetValue<bool>());
        Assert.Contains("limit reached", start["refusal"]!.GetValue<string>(), StringComparison.Ordinal);
        using var noRollback = await runtime.Http.GetAsync($"/api/rollbacks/{Identifiers.RollbackIdFor(second)}");
        Assert.Equal(HttpStatusCode.NotFound, noRollback.StatusCode);
        Assert.Equal("baking", (await runtime.GetJsonAsync($"/api/deploys/{second}"))["state"]!.GetValue<string>());
        // The warning goes out on the durable notice path and the deploy records its delivery; the re-send added none.
        await receiver.WaitForAsync(r => r.Any(x => x.Path.StartsWith("slack", StringComparison.Ordinal) && x.Body.Contains(second, StringComparison.Ordinal)), TimeSpan.FromSeconds(30), "the refusal warning");
        var notice = await Eventually.ReturnsAsync(
            async () => (await runtime.GetJsonAsync($"/api/deploys/{second}"))["notices"]?.AsArray().FirstOrDefault(n => (bool?)n!["delivered"] == true),
            TimeSpan.FromSeconds(20), () => "the refusal was never recorded delivered");
        Assert.Equal("NotRolledBack", (string?)notice!["kind"]);
        Assert.Single(receiver.Received, r => r.Path.StartsWith("slack", StringComparison.Ordinal) && r.Body.Contains("limit reached", StringComparison.Ordinal) && r.Body.Contains(second, StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task ManyServicesFiringAtOnce_HoldsTheRollback_EveryStepWaitsForAnOperator()
    {
        var (runtime, receiver) = fixture.Require();
        var service = Repo.UniqueName("mass");
        var id = await RegisterAsync(runtime, receiver, service, "mass");
        var storm = Firing(service, "mass", "storm");
        var alerts = storm["alerts"]!.AsArray();
        foreach (var (other, i) in new[] { "mass-neighbour-a", "mass-neighbour-b" }.Select((s, i) => (s, i)))
        {
            var neighbour = alerts[0]!.DeepClone();
            neighbour["labels"]!["service"] = other;
            neighbour["fingerprint"] = $"neighbour{i}";
            alerts.Add(neighbour);
        }

        using var reply = await runtime.PostJsonAsync("/api/alerts/alertmanager", storm);
        Assert.Equal(HttpStatusCode.Accepted, reply.StatusCode);
        await OperatorApiTests.WaitForStepAsync(runtime, id, "schema", "awaitingApproval");
        Assert.DoesNotContain(receiver.Received, r => r.Path == "schema" && r.Body.Contains(id, StringComparison.Ordinal));
        var rollbackId = Identifiers.RollbackIdFor(id);
        var step = (await runtime.GetJsonAsync($"/api/rollbacks/{rollbackId}"))["steps"]!.AsArray().Single()!;
        Assert.Contains("mass alert: 3 services firing", step["detail"]!.GetValue<string>(), StringComparison.Ordinal);

        (await runtime.PostJsonAsync($"/api/rollbacks/{rollbackId}/steps/schema/approve", "{}")).Dispose();
        (await runtime.PostJsonAsync("/api/alerts/alertmanager", Payloads.Resolved(storm))).Dispose();
        var rollback = await runtime.WaitForTerminalRollbackAsync(rollbackId, TimeSpan.FromSeconds(60));
        Assert.Equal("succeeded", rollback["phase"]!.GetValue<string>());
        var audit = (await runtime.GetJsonAsync($"/api/rollbacks/{rollbackId}/audit"))["rows"]!.AsArray();
        Assert.Contains(audit, r => r!["action"]!.GetValue<string>() == "policy.decided" && r["outcome"]!.GetValue<string>() == "hold");
    }

    [SkippableFact]
    public async Task StepKindTheEnvironmentAlwaysWantsApproved_WaitsEvenWhenAnOperatorStartedIt()
    {
        var (runtime, receiver) = fixture.Require();
        var id = await RegisterAsync(runtime, receiver, Repo.UniqueName("gated"), "gated");

        using var started = await runtime.Http.PostAsync($"/api/deploys/{id}/rollback", null);
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        await OperatorApiTests.WaitForStepAsync(runtime, id, "schema", "awaitingApproval");
        var step = (await runtime.GetJsonAsync($"/api/rollbacks/{Identifiers.RollbackIdFor(id)}"))["steps"]!.AsArray().Single()!;
        Assert.Equal("policy: webhook steps in gated always need approval", step["detail"]!.GetValue<string>());
        (await runtime.Http.PostAsync($"/api/rollbacks/{Identifiers.RollbackIdFor(id)}/abort", null)).Dispose();
    }

    [SkippableFact]
    public async Task ObserveOnlyEnvironment_MatchesAndWarns_NeverRollsBack()
    {
        var (runtime, receiver) = fixture.Require();
        var service = Repo.UniqueName("obs");
        var id = await RegisterAsync(runtime, receiver, service, "observe");

        using var reply = await runtime.PostJsonAsync("/api/alerts/alertmanager", Firing(service, "observe", "obs"));

        var start = (await reply.Content.ReadFromJsonAsync<JsonObject>())!["deploys"]!.AsArray().Single()!;
        Assert.Contains("autoRollback is off for observe", start["refusal"]!.GetValue<string>(), StringComparison.Ordinal);
        using var noRollback = await runtime.Http.GetAsync($"/api/rollbacks/{Identifiers.RollbackIdFor(id)}");
        Assert.Equal(HttpStatusCode.NotFound, noRollback.StatusCode);
        await receiver.WaitForAsync(r => r.Any(x => x.Path.StartsWith("slack", StringComparison.Ordinal) && x.Body.Contains(id, StringComparison.Ordinal)), TimeSpan.FromSeconds(30), "the refusal warning");
    }

    [SkippableFact]
    public async Task Policy_IsVisible()
    {
        var (runtime, _) = fixture.Require();

        var policy = await runtime.GetJsonAsync("/api/policy");

        Assert.Equal(1, policy["automaticRollbacks"]!["max"]!.GetValue<int>());
        Assert.Equal(2, policy["massAlert"]!["services"]!.GetValue<int>());
        Assert.False(policy["environments"]!["observe"]!["autoRollback"]!.GetValue<bool>());
        Assert.Equal("webhook", policy["environments"]!["gated"]!["requireApproval"]![0]!.GetValue<string>());
    }

    private static async Task<string> RegisterAsync(TestRuntime runtime, LocalReceiver receiver, string service, string environment)
    {
        var id = Repo.UniqueName(service);
        var deploy = Payloads.DiamondDeploy(id, receiver, service, environment);
        deploy["steps"] = new JsonArray(Payloads.Step("schema", receiver));
        await AlertIntakeApiTests.RegisterCompletedAsync(runtime, deploy);
        return id;
    }

    /// <summary>One firing alert of the service, its own episode (fingerprint) per <paramref name="episode"/>.</summary>
    private static JsonObject Firing(string service, string environment, string episode)
    {
        var payload = Payloads.AlertmanagerFiring(service, environment);
        var alerts = payload["alerts"]!.AsArray();
        alerts.RemoveAt(1);
        alerts[0]!["fingerprint"] = $"{service}-{episode}";
        return payload;
    }

    public sealed class PolicyRuntime : IAsyncLifetime
    {
        private TestRuntime? runtime;
        private LocalReceiver? receiver;
        private string? missing;

        internal (TestRuntime Runtime, LocalReceiver Receiver) Require()
        {
            RealParts.Require(missing is null, missing ?? "");
            return (runtime!, receiver!);
        }

        public async Task InitializeAsync()
        {
            receiver = await LocalReceiver.StartAsync();
            try
            {
                runtime = await TestRuntime.StartAsync(
                    "Rollback:Policy:MaxAutomaticRollbacks=1",
                    "Rollback:Policy:MassAlertServices=2",
                    "Rollback:Policy:Environments:gated:RequireApproval:0=webhook",
                    "Rollback:Policy:Environments:observe:AutoRollback=false",
                    // Declared because environments are declared once any is (SAFETY.md 9); their policy is the default.
                    "Rollback:Policy:Environments:limit:AutoRollback=true",
                    "Rollback:Policy:Environments:mass:AutoRollback=true",
                    $"Rollback:Notifications:Default:SlackWebhookUrl={receiver.BaseUrl}/slack/T0/B0/policy");
            }
            catch (SkipException e)
            {
                missing = e.Message;
            }
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
}
