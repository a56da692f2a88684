using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Infrastructure.Storage;

namespace RollbackFunctions.Integration.Tests.Api;

/// <summary>On-call's levers over HTTP: approve, reject, abort, force, list, audit.</summary>
public sealed class OperatorApiTests(RuntimeFixture fixture) : IClassFixture<RuntimeFixture>
{
    [SkippableFact]
    public async Task Approve_StepWaitingForApproval_IsRevertedAndTheAuditNamesTheApprover()
    {
        var runtime = fixture.Require();
        await using var receiver = await LocalReceiver.StartAsync();
        var id = await StartWithApprovalStepAsync(runtime, receiver);

        using var approve = await runtime.PostJsonAsync($"/api/rollbacks/{Identifiers.RollbackIdFor(id)}/steps/rollout/approve", """{"actor":"alice","reason":"checked the plan"}""");
        var rollback = await runtime.WaitForTerminalRollbackAsync(Identifiers.RollbackIdFor(id), TimeSpan.FromSeconds(60));

        Assert.Equal(HttpStatusCode.Accepted, approve.StatusCode);
        Assert.Equal("succeeded", rollback["phase"]!.GetValue<string>());
        Assert.Equal(["rollout", "schema"], receiver.Paths);
        Assert.Contains(rollback["timeline"]!.AsArray(), t => t!["phase"]!.GetValue<string>() == "awaitingApproval");
        var audit = await runtime.GetJsonAsync($"/api/rollbacks/{Identifiers.RollbackIdFor(id)}/audit");
        Assert.True(audit["verified"]!.GetValue<bool>(), audit["problem"]?.ToString());
        var actions = audit["rows"]!.AsArray().Select(r => (Action: r!["action"]!.GetValue<string>(), Actor: r["actor"]!.GetValue<string>())).ToList();
        Assert.Contains(("approval.decided", "alice"), actions);
        // CI's registration and completion come first on the chain (keyless here, so the actor is "ci"), then the claim.
        Assert.Equal([("deploy.registered", "ci"), ("deploy.completed", "ci"), ("rollback.claimed", "operator")], actions.Take(3).Select(a => (a.Action, a.Actor)));
        Assert.Contains(actions, a => a.Action == "rollback.completed");
    }

    /// <summary>Issue 9, finding 15: deleting a rollback's whole audit partition verified as true.</summary>
    [SkippableFact]
    public async Task Audit_WholeChainDeleted_DoesNotVerify()
    {
        var runtime = fixture.Require();
        await using var receiver = await LocalReceiver.StartAsync();
        var id = await StartWithApprovalStepAsync(runtime, receiver);
        var rollbackId = Identifiers.RollbackIdFor(id);
        var audit = runtime.Services.GetRequiredService<StorageTables>().Audit;

        await foreach (var row in audit.QueryAsync<TableEntity>(e => e.PartitionKey == rollbackId))
        {
            await audit.DeleteEntityAsync(row.PartitionKey, row.RowKey);
        }

        var reply = await runtime.GetJsonAsync($"/api/rollbacks/{rollbackId}/audit");
        Assert.False(reply["verified"]!.GetValue<bool>());
        Assert.Contains("removed", reply["problem"]!.GetValue<string>(), StringComparison.Ordinal);
        (await runtime.Http.PostAsync($"/api/rollbacks/{rollbackId}/abort", null)).Dispose();
    }

    [SkippableFact]
    public async Task Report_OfAnApprovedRollback_IsMarkdownWithTimingsLayersAndTheApprover()
    {
        var runtime = fixture.Require();
        await using var receiver = await LocalReceiver.StartAsync();
        var id = await StartWithApprovalStepAsync(runtime, receiver);
        var rollbackId = Identifiers.RollbackIdFor(id);
        (await runtime.PostJsonAsync($"/api/rollbacks/{rollbackId}/steps/rollout/approve", """{"actor":"alice<script>","reason":"checked"}""")).Dispose();
        await runtime.WaitForTerminalRollbackAsync(rollbackId, TimeSpan.FromSeconds(60));

        using var reply = await runtime.Http.GetAsync($"/api/rollbacks/{rollbackId}/report");
        var report = await reply.Content.ReadAsStringAsync();

        Assert.Equal("text/markdown", reply.Content.Headers.ContentType?.MediaType);
        Assert.StartsWith($"# Rollback {rollbackId}: operator 1.4.2 in prod", report);
        Assert.Contains("| first revert |", report);
        Assert.Matches(@"\| page \| \d+\.\d s \|", report);
        Assert.Contains("| `rollout` | webhook | 0 | Reverted |", report);
        Assert.Contains("| `schema` | webhook | 1 | Reverted |", report);
        Assert.Contains("alice\\<script\\>: approval.decided approved", report); // escaped, never live markup
        Assert.Contains("## Accounting", report);
    }

    [SkippableFact]
    public async Task Reject_StepWaitingForApproval_IsNotApprovedAndTheRollbackFails()
    {
        var runtime = fixture.Require();
        await using var receiver = await LocalReceiver.StartAsync();
        var id = await StartWithApprovalStepAsync(runtime, receiver);

        using var reject = await runtime.PostJsonAsync($"/api/rollbacks/{Identifiers.RollbackIdFor(id)}/steps/rollout/reject", """{"actor":"bob","reason":"roll forward"}""");
        var rollback = await runtime.WaitForTerminalRollbackAsync(Identifiers.RollbackIdFor(id), TimeSpan.FromSeconds(60));

        Assert.Equal(HttpStatusCode.Accepted, reject.StatusCode);
        Assert.Equal("failed", rollback["phase"]!.GetValue<string>());
        Assert.Empty(receiver.Paths);
        var steps = rollback["steps"]!.AsArray().ToDictionary(s => s!["stepId"]!.GetValue<string>(), s => s!["status"]!.GetValue<string>());
        Assert.Equal("notApproved", steps["rollout"]);
        Assert.Equal("blocked", steps["schema"]);
    }

    [SkippableFact]
    public async Task Decide_WrongTargets_AreRefusedClearly()
    {
        var runtime = fixture.Require();
        await using var receiver = await LocalReceiver.StartAsync();
        var id = await StartWithApprovalStepAsync(runtime, receiver);

        using var notWaiting = await runtime.Http.PostAsync($"/api/rollbacks/{Identifiers.RollbackIdFor(id)}/steps/schema/approve", null);
        using var noStep = await runtime.Http.PostAsync($"/api/rollbacks/{Identifiers.RollbackIdFor(id)}/steps/ghost/approve", null);
        using var noRollback = await runtime.Http.PostAsync($"/api/rollbacks/{Identifiers.RollbackIdFor("ghost")}/abort", null);
        using var badBody = await runtime.PostJsonAsync($"/api/rollbacks/{Identifiers.RollbackIdFor(id)}/abort", """{"actor": 7}""");

        Assert.Equal(HttpStatusCode.Conflict, notWaiting.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, noStep.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, noRollback.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, badBody.StatusCode);
        (await runtime.Http.PostAsync($"/api/rollbacks/{Identifiers.RollbackIdFor(id)}/abort", null)).Dispose();
    }

    [SkippableFact]
    public async Task Abort_RunningRollback_EndsAbortedAndCannotBeAbortedTwice()
    {
        var runtime = fixture.Require();
        await using var receiver = await LocalReceiver.StartAsync();
        var id = await StartWithApprovalStepAsync(runtime, receiver);
        var active = await runtime.Http.GetFromJsonAsync<JsonArray>("/api/rollbacks?state=active");

        using var abort = await runtime.Http.PostAsync($"/api/rollbacks/{Identifiers.RollbackIdFor(id)}/abort", null);
        var rollback = await runtime.WaitForTerminalRollbackAsync(Identifiers.RollbackIdFor(id), TimeSpan.FromSeconds(60));
        using var again = await runtime.Http.PostAsync($"/api/rollbacks/{Identifiers.RollbackIdFor(id)}/abort", null);
        var all = await runtime.Http.GetFromJsonAsync<JsonArray>("/api/rollbacks?state=all");
        var activeAfter = await runtime.Http.GetFromJsonAsync<JsonArray>("/api/rollbacks?state=active");

        Assert.Contains(active!, r => r!["rollbackId"]!.GetValue<string>() == Identifiers.RollbackIdFor(id));
        Assert.Equal(HttpStatusCode.Accepted, abort.StatusCode);
        Assert.Equal("aborted", rollback["phase"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Contains(all!, r => r!["rollbackId"]!.GetValue<string>() == Identifiers.RollbackIdFor(id) && r["phase"]!.GetValue<string>() == "aborted");
        Assert.DoesNotContain(activeAfter!, r => r!["rollbackId"]!.GetValue<string>() == Identifiers.RollbackIdFor(id));
    }

    [SkippableFact]
    public async Task List_UnknownState_Answers400()
    {
        var runtime = fixture.Require();

        using var response = await runtime.Http.GetAsync("/api/rollbacks?state=everything");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    /// <summary>Issue 9, finding 9: a 98-100 character deploy id made its rollback unreachable.</summary>
    [SkippableFact]
    public async Task LongestDeployId_ItsRollbackIsReachable()
    {
        var runtime = fixture.Require();
        await using var receiver = await LocalReceiver.StartAsync();
        var id = ("long-" + Guid.NewGuid().ToString("N") + new string('x', 100))[..Identifiers.MaxLength];
        var deploy = Payloads.DiamondDeploy(id, receiver, "long-ids");
        await AlertIntakeApiTests.RegisterCompletedAsync(runtime, deploy);

        using var started = await runtime.Http.PostAsync($"/api/deploys/{id}/rollback", null);
        var rollbackId = (await started.Content.ReadFromJsonAsync<JsonObject>())!["rollbackId"]!.GetValue<string>();
        using var status = await runtime.Http.GetAsync($"/api/rollbacks/{rollbackId}");
        using var audit = await runtime.Http.GetAsync($"/api/rollbacks/{rollbackId}/audit");
        using var abort = await runtime.Http.PostAsync($"/api/rollbacks/{rollbackId}/abort", null);

        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        Assert.Equal(Identifiers.RollbackIdFor(id), rollbackId);
        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (status.StatusCode, audit.StatusCode));
        Assert.NotEqual(HttpStatusCode.NotFound, abort.StatusCode);
        // Ended before the receiver goes: a revert still retrying would reach whichever test's
        // receiver gets its port next (seen: a "rollout" revert in another test's receiver).
        await runtime.WaitForTerminalRollbackAsync(rollbackId, TimeSpan.FromSeconds(60));
    }

    /// <summary>Issue 9, finding 3: two concurrent forced requests claimed -2 and -3 and ran two rollbacks at once.</summary>
    [SkippableFact]
    public async Task Force_TwoConcurrentRequests_StartOneRollback()
    {
        var runtime = fixture.Require();
        await using var receiver = await LocalReceiver.StartAsync();
        var id = await StartWithApprovalStepAsync(runtime, receiver);
        (await runtime.Http.PostAsync($"/api/rollbacks/{Identifiers.RollbackIdFor(id)}/abort", null)).Dispose();
        await runtime.WaitForTerminalRollbackAsync(Identifiers.RollbackIdFor(id), TimeSpan.FromSeconds(60));

        var replies = await Task.WhenAll(Enumerable.Range(0, 6).Select(async i =>
        {
            using var reply = await runtime.PostJsonAsync($"/api/deploys/{id}/rollback", $$"""{"force":true,"actor":"op{{i}}"}""");
            return (reply.StatusCode, Body: (await reply.Content.ReadAsStringAsync()));
        }));

        Assert.Single(replies, r => r.StatusCode == HttpStatusCode.Accepted);
        var all = JsonNode.Parse(await runtime.Http.GetStringAsync("/api/rollbacks?state=all"))!.AsArray();
        Assert.Equal(2, all.Count(r => (string?)r!["deployId"] == id)); // the first and one forced
        foreach (var rollback in all.Where(r => (string?)r!["deployId"] == id))
        {
            (await runtime.Http.PostAsync($"/api/rollbacks/{(string)rollback!["rollbackId"]!}/abort", null)).Dispose();
        }
    }

    [SkippableFact]
    public async Task Force_SecondRollbackOnlyAfterTheFirstEnded_AndIsRecordedAsForced()
    {
        var runtime = fixture.Require();
        await using var receiver = await LocalReceiver.StartAsync();
        var id = await StartWithApprovalStepAsync(runtime, receiver);

        using var whileRunning = await runtime.PostJsonAsync($"/api/deploys/{id}/rollback", """{"force":true}""");
        (await runtime.Http.PostAsync($"/api/rollbacks/{Identifiers.RollbackIdFor(id)}/abort", null)).Dispose();
        await runtime.WaitForTerminalRollbackAsync(Identifiers.RollbackIdFor(id), TimeSpan.FromSeconds(60));
        using var withoutForce = await runtime.Http.PostAsync($"/api/deploys/{id}/rollback", null);
        using var forced = await runtime.PostJsonAsync($"/api/deploys/{id}/rollback", """{"force":true,"actor":"erin","reason":"first one was aborted"}""");

        Assert.Equal(HttpStatusCode.Conflict, whileRunning.StatusCode);
        Assert.Equal(HttpStatusCode.OK, withoutForce.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, forced.StatusCode);
        var second = (await forced.Content.ReadFromJsonAsync<JsonObject>())!["rollbackId"]!.GetValue<string>();
        Assert.Equal($"{Identifiers.RollbackIdFor(id)}-2", second);
        var rollback = await runtime.GetJsonAsync($"/api/rollbacks/{second}");
        Assert.Equal("manual-forced", rollback["trigger"]!["kind"]!.GetValue<string>());
        Assert.Equal(second, (await runtime.GetJsonAsync($"/api/deploys/{id}"))["rollbackId"]!.GetValue<string>());
        (await runtime.Http.PostAsync($"/api/rollbacks/{second}/abort", null)).Dispose();
    }

    [SkippableFact]
    public async Task ReceiverCallsRevertDestructive_WaitsForApprovalThenSendsItApproved()
    {
        var runtime = fixture.Require();
        await using var receiver = await LocalReceiver.StartAsync();
        receiver.Statuses["schema"] = 428;
        var id = $"op-{Guid.NewGuid():N}";
        var deploy = Payloads.DiamondDeploy(id, receiver, "destructive");
        deploy["steps"] = new JsonArray(Payloads.Step("schema", receiver));
        await AlertIntakeApiTests.RegisterCompletedAsync(runtime, deploy);
        (await runtime.Http.PostAsync($"/api/deploys/{id}/rollback", null)).Dispose();
        await WaitForStepAsync(runtime, id, "schema", "awaitingApproval");

        (await runtime.Http.PostAsync($"/api/rollbacks/{Identifiers.RollbackIdFor(id)}/steps/schema/approve", null)).Dispose();
        var rollback = await runtime.WaitForTerminalRollbackAsync(Identifiers.RollbackIdFor(id), TimeSpan.FromSeconds(60));

        Assert.Equal("succeeded", rollback["phase"]!.GetValue<string>());
        Assert.Equal([false, true], receiver.Received.Select(r => r.Approved));
    }

    /// <summary>The Slack route is off until a signing secret is configured: nothing can act through it unsigned.</summary>
    [SkippableFact]
    public async Task SlackInteractions_WithoutASigningSecret_Is404()
    {
        var runtime = fixture.Require();

        using var reply = await runtime.Http.PostAsync("/api/slack/interactions", new FormUrlEncodedContent([new("payload", """{"type":"block_actions"}""")]));

        Assert.Equal(HttpStatusCode.NotFound, reply.StatusCode);
        Assert.Contains("Rollback:Slack:SigningSecret", await reply.Content.ReadAsStringAsync());
    }

    /// <summary>A deploy whose top step needs approval, rolled back by hand, waiting on that step.</summary>
    internal static async Task<string> StartWithApprovalStepAsync(TestRuntime runtime, LocalReceiver receiver)
    {
        var id = $"op-{Guid.NewGuid():N}";
        var deploy = Payloads.DiamondDeploy(id, receiver, "operator");
        var rollout = Payloads.Step("rollout", receiver, "schema");
        rollout["revert"] = new JsonObject { ["mode"] = "approval" };
        deploy["steps"] = new JsonArray(Payloads.Step("schema", receiver), rollout);
        await AlertIntakeApiTests.RegisterCompletedAsync(runtime, deploy);
        using var started = await runtime.Http.PostAsync($"/api/deploys/{id}/rollback", null);
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        await WaitForStepAsync(runtime, id, "rollout", "awaitingApproval");
        return id;
    }

    internal static async Task WaitForStepAsync(TestRuntime runtime, string deployId, string stepId, string status)
    {
        await Eventually.HoldsAsync(
            async () => (await runtime.GetJsonAsync($"/api/rollbacks/{Identifiers.RollbackIdFor(deployId)}"))["steps"]!.AsArray()
                .Any(s => s!["stepId"]!.GetValue<string>() == stepId && s["status"]!.GetValue<string>() == status),
            TimeSpan.FromSeconds(60),
            () => $"step {stepId} never became {status}: {runtime.Http.GetStringAsync($"/api/rollbacks/{Identifiers.RollbackIdFor(deployId)}").ContinueWith(t => t.IsCompletedSuccessfully ? t.Result : t.Exception!.Message).Result}");
    }
}
