using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using RollbackFunctions.Core.Alerts;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Notifications;
using RollbackFunctions.Core.Rollbacks;
using RollbackFunctions.Infrastructure.Notifications;
using RollbackFunctions.Infrastructure.Notifications.Slack;

namespace RollbackFunctions.Infrastructure.Tests.Notifications;

/// <summary>The Slack message of a page, as a stand-in for Slack's incoming webhook receives it.</summary>
public sealed class SlackChannelTests : IAsyncLifetime
{
    private ServiceProvider http = null!;
    private StubServer slack = null!;

    [Fact]
    public async Task Page_ApprovalNeededWithInteractionsOn_CarriesApproveRejectAndTheOpsPageForEachWaitingStep()
    {
        var message = await SendAsync(new SlackOptions { SigningSecret = "s", Operators = ["U0OPS"] });

        var actions = message["blocks"]!.AsArray().Where(b => (string?)b!["type"] == "actions").ToList();
        var buttons = Assert.Single(actions)!["elements"]!.AsArray();
        Assert.Equal([SlackApprovalButtons.ApproveAction, SlackApprovalButtons.RejectAction, SlackApprovalButtons.OpenAction], buttons.Select(b => (string?)b!["action_id"]));
        Assert.Equal(new ButtonClick(true, "rb-d1", "schema", "f00d"), SlackApprovalButtons.Read((string?)buttons[0]!["action_id"], (string?)buttons[0]!["value"]));
        Assert.Equal("https://rollback.example/api/ui#rollback=rb-d1&step=schema", (string?)buttons[2]!["url"]);
        Assert.Contains("This will revert step schema", buttons[0]!["confirm"]!["text"]!["text"]!.GetValue<string>());
    }

    [Fact]
    public async Task Page_InteractionsOff_HasTheOpsPageLinkButNoButton()
    {
        var message = await SendAsync(new SlackOptions());

        Assert.DoesNotContain(message["blocks"]!.AsArray(), b => (string?)b!["type"] == "actions");
        Assert.Contains(message["blocks"]!.AsArray(), b => (string?)b!["text"]?["text"] == "<https://rollback.example/api/ui#rollback=rb-d1&step=schema|Open the ops page>");
    }

    [Fact]
    public async Task Page_AlertTextWithSlackMarkup_IsEscaped_NoLinkOfItsOwn()
    {
        var message = await SendAsync(new SlackOptions());

        Assert.Contains("&lt;https://evil.example|approve here&gt;", message["text"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.DoesNotContain(message["blocks"]!.AsArray(), b => ((string?)b!["text"]?["text"])?.Contains("<https://evil.example", StringComparison.Ordinal) == true);
    }

    /// <summary>
    /// SAFETY.md 3: the message shows the plan its Approve button binds to. A long step detail (a
    /// Terraform plan by address, a SQL effect) was cut at Slack's section limit with the digest after
    /// it, so the digest went; and a detail of its own "plan sha256" line showed a digest the button
    /// does not approve before the real one.
    /// </summary>
    [Theory]
    [InlineData("long")]
    [InlineData("spoofed")]
    public async Task Page_WaitingStep_ShowsTheDigestItsButtonApproves_FirstAndWhateverTheDetail(string detail)
    {
        var text = detail == "long" ? "deletes " + string.Join(", ", Enumerable.Range(0, 400).Select(i => $"aws_s3_bucket.b{i}"))
            : "drops a column\nplan sha256 `beefbeefbeef`";
        var message = await SendAsync(new SlackOptions { SigningSecret = "s", Operators = ["U0OPS"] }, ApprovalPage(text));

        var blocks = message["blocks"]!.AsArray();
        var section = blocks.Select(b => (string?)b!["text"]?["text"]).Single(t => t?.StartsWith("Step `schema`", StringComparison.Ordinal) == true)!;
        Assert.True(section.Length <= 3000, $"{section.Length} characters");
        var shown = section.IndexOf("`f00d`", StringComparison.Ordinal);
        Assert.True(shown >= 0, "the digest the button approves is not in the message: …" + section[Math.Max(0, section.Length - 200)..]);
        Assert.True(section.IndexOf("beef", StringComparison.Ordinal) is var spoof && (spoof < 0 || spoof > shown), "a digest from the detail is shown before the real one: " + section);
    }

    private async Task<JsonObject> SendAsync(SlackOptions options, Page? approvalPage = null)
    {
        var channel = new SlackChannel(http.GetRequiredService<IHttpClientFactory>(), new StaticMonitor<SlackOptions>(options));
        var page = approvalPage ?? ApprovalPage();

        var outcome = await channel.PageAsync(page, new NotificationRoute { SlackWebhookUrl = $"{slack.BaseUrl}/services/T0/B0/x" }, PageLinks.For("https://rollback.example", page), default);

        Assert.True(outcome.Delivered, outcome.Detail);
        return JsonNode.Parse(Assert.Single(slack.Requests).Body)!.AsObject();
    }

    /// <summary>A page waiting for approval, whose alert carries Slack and Markdown link markup in its labels.</summary>
    internal static Page ApprovalPage(string schemaDetail = "drops a column")
    {
        var alert = new AlertSignal(AlertSource.Alertmanager, "k", "HighErrorRate", AlertStatus.Firing,
            new Dictionary<string, string> { ["service"] = "checkout", ["note"] = "<https://evil.example|approve here>", ["hint"] = "[approve here](https://evil.example)" }, new Dictionary<string, string>(), DateTimeOffset.UtcNow, null);
        var deploy = new DeployRecord
        {
            DeployId = "d1", Service = "checkout", Environment = "prod", Version = "1.4.2", Labels = new Dictionary<string, string>(), WatchMinutes = 30,
            Steps = [], State = DeployState.Halted, RegisteredAt = DateTimeOffset.UtcNow, RegistrationDigest = "x",
        };
        var rollback = new RollbackRecord
        {
            RollbackId = "rb-d1", DeployId = "d1", Phase = RollbackPhase.AwaitingApproval, ClaimedAt = DateTimeOffset.UtcNow,
            Trigger = new RollbackTrigger("alert", "system", "matched d1", [alert]),
        };
        RollbackStepRecord[] steps =
        [
            new("rollout", "webhook", 0, StepStatus.Reverted, 1, null, null, "POST answered 200"),
            new("schema", "sql", 1, StepStatus.AwaitingApproval, 0, null, null, schemaDetail) { PlanDigest = "f00d" },
        ];
        return new Page(PageKind.ApprovalNeeded, "approval needed to revert schema", deploy, rollback, steps, []);
    }

    public async Task InitializeAsync()
    {
        var services = new ServiceCollection();
        services.AddHttpClient(SlackChannel.HttpClientName);
        http = services.BuildServiceProvider();
        slack = await StubServer.StartAsync(_ => new StubReply(200, "ok"));
    }

    public async Task DisposeAsync()
    {
        await slack.DisposeAsync();
        await http.DisposeAsync();
    }

    private sealed class StaticMonitor<T>(T value) : IOptionsMonitor<T>
    {
        public T CurrentValue => value;

        public T Get(string? name) => value;

        public IDisposable? OnChange(Action<T, string?> listener) => null;
    }
}
