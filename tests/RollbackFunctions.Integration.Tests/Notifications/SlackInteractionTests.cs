using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using RollbackFunctions.Core.Deploys;

namespace RollbackFunctions.Integration.Tests.Notifications;

/// <summary>
/// Approving from Slack, replayed as Slack would send it: the click on the button of the message
/// the product posted (taken from what the fake Slack received), form-encoded and signed with the
/// app's signing secret. Only a fresh, signed click from a listed operator decides (SAFETY.md 9, 11).
/// </summary>
public sealed class SlackInteractionTests(SlackInteractionTests.SlackRuntime fixture) : IClassFixture<SlackInteractionTests.SlackRuntime>
{
    private const string SigningSecret = "slack-signing-secret-0123456789abcdef";
    private const string Operator = "U0OPERATOR";

    [SkippableFact]
    public async Task Click_ApproveInTheMessageWePosted_ApprovesTheStep_AuditsTheSlackUser_AndAnswersOnResponseUrl()
    {
        var (runtime, receiver) = fixture.Require();
        var id = await Api.OperatorApiTests.StartWithApprovalStepAsync(runtime, receiver);
        var rollbackId = Identifiers.RollbackIdFor(id);
        var approve = await ButtonAsync(receiver, rollbackId, "rollback.approve");

        using var reply = await PostSignedAsync(runtime, Interaction(Operator, "alice", approve, fixture.ResponseUrl("approve")));
        var rollback = await runtime.WaitForTerminalRollbackAsync(rollbackId, TimeSpan.FromSeconds(60));
        await receiver.WaitForAsync(r => r.Any(x => x.Path == "slack-actions/T0/approve"), TimeSpan.FromSeconds(30), "the outcome on response_url");

        Assert.Equal(HttpStatusCode.OK, reply.StatusCode);
        Assert.Equal("succeeded", rollback["phase"]!.GetValue<string>());
        var audit = await runtime.GetJsonAsync($"/api/rollbacks/{rollbackId}/audit");
        Assert.Contains(audit["rows"]!.AsArray(), r => r!["action"]!.GetValue<string>() == "approval.decided" && r["actor"]!.GetValue<string>() == $"slack:{Operator} (alice)");
        var outcome = JsonNode.Parse(receiver.Received.First(x => x.Path == "slack-actions/T0/approve").Body)!;
        Assert.True(outcome["replace_original"]!.GetValue<bool>());
        Assert.Contains($"rollout` of rollback `{rollbackId}` approved by slack:{Operator} (alice)", outcome["text"]!.GetValue<string>());
    }

    [SkippableFact]
    public async Task Click_BadSignatureOldTimestampForeignResponseUrlOrUnlistedUser_DecidesNothing()
    {
        var (runtime, receiver) = fixture.Require();
        var id = await Api.OperatorApiTests.StartWithApprovalStepAsync(runtime, receiver);
        var rollbackId = Identifiers.RollbackIdFor(id);
        var approve = await ButtonAsync(receiver, rollbackId, "rollback.approve");
        var click = Interaction(Operator, "alice", approve, fixture.ResponseUrl("forged"));

        using var wrongSecret = await PostSignedAsync(runtime, click, secret: "not-the-signing-secret-0123456789");
        using var unsigned = await PostSignedAsync(runtime, click, secret: null);
        using var stale = await PostSignedAsync(runtime, click, at: DateTimeOffset.UtcNow.AddMinutes(-6));
        using var elsewhere = await PostSignedAsync(runtime, Interaction(Operator, "alice", approve, receiver.UrlFor("elsewhere")));
        using var stranger = await PostSignedAsync(runtime, Interaction("U0STRANGER", "mallory", approve, fixture.ResponseUrl("stranger")));
        await receiver.WaitForAsync(r => r.Any(x => x.Path == "slack-actions/T0/stranger"), TimeSpan.FromSeconds(30), "the refusal on response_url");

        Assert.Equal(
            [HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.BadRequest, HttpStatusCode.OK],
            new[] { wrongSecret, unsigned, stale, elsewhere, stranger }.Select(r => r.StatusCode));
        var refusal = JsonNode.Parse(receiver.Received.First(x => x.Path == "slack-actions/T0/stranger").Body)!;
        Assert.Equal("ephemeral", refusal["response_type"]!.GetValue<string>());
        Assert.Contains("not allowed", refusal["text"]!.GetValue<string>());
        Assert.DoesNotContain(receiver.Received, x => x.Path is "slack-actions/T0/forged" or "elsewhere" or "schema");
        var step = (await runtime.GetJsonAsync($"/api/rollbacks/{rollbackId}"))["steps"]!.AsArray().First(s => s!["stepId"]!.GetValue<string>() == "rollout")!;
        Assert.Equal("awaitingApproval", step["status"]!.GetValue<string>());
        var rows = (await runtime.GetJsonAsync($"/api/rollbacks/{rollbackId}/audit"))["rows"]!.AsArray();
        Assert.Contains(rows, r => r!["action"]!.GetValue<string>() == "approval.refused" && r["actor"]!.GetValue<string>() == "slack:U0STRANGER (mallory)");
        Assert.DoesNotContain(rows, r => r!["action"]!.GetValue<string>() == "approval.decided");
        (await runtime.Http.PostAsync($"/api/rollbacks/{rollbackId}/abort", null)).Dispose();
    }

    /// <summary>The value of a button in the approval message the fake Slack received for the rollback.</summary>
    private static async Task<string> ButtonAsync(LocalReceiver receiver, string rollbackId, string actionId)
    {
        string? value = null;
        await receiver.WaitForAsync(
            calls => (value = calls.Where(c => c.Path.StartsWith("slack/", StringComparison.Ordinal)).Select(c => JsonNode.Parse(c.Body)!)
                .SelectMany(m => m["blocks"]?.AsArray() ?? [])
                .Where(b => (string?)b!["type"] == "actions")
                .SelectMany(b => b!["elements"]!.AsArray())
                .Where(e => (string?)e!["action_id"] == actionId && ((string?)e["value"])?.Contains(rollbackId, StringComparison.Ordinal) == true)
                .Select(e => (string?)e!["value"])
                .FirstOrDefault()) is not null,
            TimeSpan.FromSeconds(30),
            $"the Slack approval message of {rollbackId} with its {actionId} button");
        return value!;
    }

    /// <summary>A <c>block_actions</c> payload as Slack sends it for a button click (docs.slack.dev, block_actions payload).</summary>
    private static JsonObject Interaction(string userId, string userName, string value, string responseUrl) => new()
    {
        ["type"] = "block_actions",
        ["user"] = new JsonObject { ["id"] = userId, ["username"] = userName, ["name"] = userName, ["team_id"] = "T0" },
        ["api_app_id"] = "A0ROLLBACK",
        ["token"] = "deprecated-verification-token",
        ["container"] = new JsonObject { ["type"] = "message", ["message_ts"] = "1764669600.000100", ["channel_id"] = "C0ONCALL", ["is_ephemeral"] = false },
        ["trigger_id"] = "1234567890.1234567890.abcdef",
        ["team"] = new JsonObject { ["id"] = "T0", ["domain"] = "example" },
        ["channel"] = new JsonObject { ["id"] = "C0ONCALL", ["name"] = "oncall" },
        ["response_url"] = responseUrl,
        ["actions"] = new JsonArray(new JsonObject
        {
            ["action_id"] = "rollback.approve",
            ["block_id"] = "approval:rollout",
            ["text"] = new JsonObject { ["type"] = "plain_text", ["text"] = "Approve", ["emoji"] = true },
            ["value"] = value,
            ["style"] = "primary",
            ["type"] = "button",
            ["action_ts"] = "1764669601.000200",
        }),
    };

    /// <summary>Form-encoded and signed the way Slack signs: <c>v0=</c> hex HMAC-SHA256 of <c>v0:{timestamp}:{body}</c>.</summary>
    private static Task<HttpResponseMessage> PostSignedAsync(TestRuntime runtime, JsonObject payload, string? secret = SigningSecret, DateTimeOffset? at = null)
    {
        var body = "payload=" + Uri.EscapeDataString(payload.ToJsonString());
        var timestamp = (at ?? DateTimeOffset.UtcNow).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/slack/interactions") { Content = new StringContent(body, Encoding.UTF8, "application/x-www-form-urlencoded") };
        request.Headers.Add("X-Slack-Request-Timestamp", timestamp);
        if (secret is not null)
        {
            var hash = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"v0:{timestamp}:{body}"));
            request.Headers.Add("X-Slack-Signature", "v0=" + Convert.ToHexStringLower(hash));
        }

        return runtime.Http.SendAsync(request);
    }

    /// <summary>One runtime with the Slack app configured, its webhook and response_url on a local receiver.</summary>
    public sealed class SlackRuntime : IAsyncLifetime
    {
        private TestRuntime? runtime;
        private LocalReceiver? receiver;
        private string? missing;

        public string ResponseUrl(string name) => receiver!.UrlFor($"slack-actions/T0/{name}");

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
                    $"Rollback:Slack:SigningSecret={SigningSecret}",
                    $"Rollback:Slack:Operators:0={Operator}",
                    $"Rollback:Slack:ResponseUrlBase={receiver.UrlFor("slack-actions/")}",
                    $"Rollback:Notifications:Default:SlackWebhookUrl={receiver.UrlFor("slack/T0/B0/token")}");
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
