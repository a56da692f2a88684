using System.Net;
using System.Text.Json.Nodes;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using RollbackFunctions.Core.Deploys;
using Microsoft.Extensions.Options;
using RollbackFunctions.Core.Policy;
using RollbackFunctions.Core.Ports;

namespace RollbackFunctions.Integration.Tests.EndToEnd;

/// <summary>
/// Issue 22: an orchestration that stops for good (Failed on a scale-in, Terminated) left its
/// rollback looking in progress for ever. The stalled-rollback sweep restarts it from its record,
/// without reverting again what it already reverted (SAFETY.md 4, once per effect), and after a
/// bound escalates: failed, with a page (SAFETY.md 5, tell the truth). Here on the local runtime,
/// the instance terminated mid-rollback while a step waits for approval.
/// </summary>
public sealed class StalledRollbackTests
{
    [SkippableFact]
    public async Task TerminatedMidRollback_IsRestartedFromItsRecord_WithoutRevertingAStepAgain_UnderThePolicyItStartedWith()
    {
        await using var receiver = await LocalReceiver.StartAsync();
        await using var runtime = await StartAsync(restartLimit: 1);
        var id = await StartWaitingOnApprovalAsync(runtime, receiver);
        var rollbackId = Identifiers.RollbackIdFor(id);
        TurnQuarantineOffAfterTheClaim(runtime);

        await runtime.Services.GetRequiredService<DurableTaskClient>().TerminateInstanceAsync(rollbackId, "killed mid-rollback by the test");
        await Eventually.HoldsAsync(async () => (await HeadAsync(runtime, rollbackId)).Restarts == 1 && await IsRunningAsync(runtime, rollbackId), TimeSpan.FromSeconds(60), () => "the sweep never restarted the rollback");
        using var approved = await runtime.PostJsonAsync($"/api/rollbacks/{rollbackId}/steps/schema/approve", """{"actor":"alice","reason":"after the restart"}""");
        var rollback = await runtime.WaitForTerminalRollbackAsync(rollbackId, TimeSpan.FromSeconds(60));

        Assert.Equal(HttpStatusCode.Accepted, approved.StatusCode);
        Assert.Equal("succeeded", rollback["phase"]!.GetValue<string>());
        Assert.Equal(["rollout", "schema"], receiver.Paths); // rollout reverted once, before the terminate
        var steps = rollback["steps"]!.AsArray().ToDictionary(s => s!["stepId"]!.GetValue<string>(), s => s!["status"]!.GetValue<string>());
        Assert.Equal("reverted", steps["rollout"]);
        Assert.Equal("reverted", steps["schema"]);
        var audit = await runtime.GetJsonAsync($"/api/rollbacks/{rollbackId}/audit");
        Assert.Contains(audit["rows"]!.AsArray(), r => r!["action"]!.GetValue<string>() == "rollback.restarted");
        await AssertQuarantinedForTheClaimsPeriodAsync(runtime, rollbackId);
    }

    [SkippableFact]
    public async Task StalledPastItsRestartLimit_IsEscalatedAsFailedWithAPage()
    {
        await using var receiver = await LocalReceiver.StartAsync();
        await using var runtime = await StartAsync(restartLimit: 0);
        var id = await StartWaitingOnApprovalAsync(runtime, receiver);
        var rollbackId = Identifiers.RollbackIdFor(id);
        TurnQuarantineOffAfterTheClaim(runtime);

        await runtime.Services.GetRequiredService<DurableTaskClient>().TerminateInstanceAsync(rollbackId, "killed mid-rollback by the test");
        var rollback = await runtime.WaitForTerminalRollbackAsync(rollbackId, TimeSpan.FromSeconds(60));
        await AssertQuarantinedForTheClaimsPeriodAsync(runtime, rollbackId);

        Assert.Equal("failed", rollback["phase"]!.GetValue<string>());
        Assert.Contains("Terminated after 0 restart(s); manual intervention needed", rollback["summary"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(["rollout"], receiver.Paths); // nothing reverted by the escalation
        // The page follows the failed phase, as the orchestration's last page does.
        await Eventually.HoldsAsync(
            async () => (await runtime.GetJsonAsync($"/api/rollbacks/{rollbackId}/audit"))["rows"]!.AsArray()
                .Any(r => r!["action"]!.GetValue<string>() == "page.sent" && r["detail"]!.GetValue<string>().StartsWith("RollbackFailed", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(30),
            () => "no RollbackFailed page was sent");
        Assert.Equal(DeployState.RollbackFailed, (await runtime.Services.GetRequiredService<IDeployStore>().GetAsync(id, default))!.State);
    }

    /// <summary>The quarantine period in force when the rollback is claimed.</summary>
    private static readonly TimeSpan QuarantineAtClaim = TimeSpan.FromDays(2);

    /// <summary>
    /// S5: the policy changes while the rollback waits (a redeploy of the app with new settings, here
    /// the same options object the running host reads): a restart or escalation must keep the period
    /// the rollback was claimed under, not take today's.
    /// </summary>
    private static void TurnQuarantineOffAfterTheClaim(TestRuntime runtime) =>
        runtime.Services.GetRequiredService<IOptions<PolicyOptions>>().Value.QuarantineFor = TimeSpan.Zero;

    private static async Task AssertQuarantinedForTheClaimsPeriodAsync(TestRuntime runtime, string rollbackId)
    {
        var entries = (await runtime.Services.GetRequiredService<IQuarantineStore>().ListAsync(default)).Where(e => e.RollbackId == rollbackId).ToList();
        Assert.NotEmpty(entries);
        Assert.All(entries, e => Assert.Equal(QuarantineAtClaim, e.Until - e.QuarantinedAt));
    }

    private static Task<TestRuntime> StartAsync(int restartLimit) => TestRuntime.StartAsync(
        $"Rollback:Policy:QuarantineFor={QuarantineAtClaim}",
        "Rollback:Orchestration:StalledAfter=00:00:01",
        "Rollback:Orchestration:StalledSweepInterval=00:00:01",
        $"Rollback:Orchestration:StalledRestartLimit={restartLimit}");

    /// <summary>rollout (level 0) reverted, then schema (level 1, revert mode approval) waiting on an operator.</summary>
    private static async Task<string> StartWaitingOnApprovalAsync(TestRuntime runtime, LocalReceiver receiver)
    {
        var id = $"stalled-{Guid.NewGuid():N}";
        var deploy = Payloads.DiamondDeploy(id, receiver, "stalled");
        var schema = Payloads.Step("schema", receiver);
        schema["revert"] = new JsonObject { ["mode"] = "approval" };
        deploy["steps"] = new JsonArray(schema, Payloads.Step("rollout", receiver, "schema"));
        await Api.AlertIntakeApiTests.RegisterCompletedAsync(runtime, deploy);
        using var started = await runtime.Http.PostAsync($"/api/deploys/{id}/rollback", null);
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        await Api.OperatorApiTests.WaitForStepAsync(runtime, id, "schema", "awaitingApproval");
        Assert.Equal(["rollout"], receiver.Paths);
        return id;
    }

    private static async Task<Core.Rollbacks.RollbackRecord> HeadAsync(TestRuntime runtime, string rollbackId) =>
        (await runtime.Services.GetRequiredService<IRollbackStore>().GetAsync(rollbackId, default))!;

    private static async Task<bool> IsRunningAsync(TestRuntime runtime, string rollbackId) =>
        (await runtime.Services.GetRequiredService<DurableTaskClient>().GetInstanceAsync(rollbackId))?.RuntimeStatus == OrchestrationRuntimeStatus.Running;
}
