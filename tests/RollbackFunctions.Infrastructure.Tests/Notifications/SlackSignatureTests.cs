using System.Security.Cryptography;
using System.Text;
using RollbackFunctions.Infrastructure.Notifications.Slack;

namespace RollbackFunctions.Infrastructure.Tests.Notifications;

/// <summary>
/// Slack's v0 request signing as Slack documents it ("Verifying requests from Slack"): the expected
/// value is computed here independently, so the product's code is not checked against itself.
/// </summary>
public sealed class SlackSignatureTests
{
    private const string Secret = "8f742231b10e8888abcd99yyyzzz85a5";
    private static readonly byte[] Body = Encoding.UTF8.GetBytes("payload=%7B%22type%22%3A%22block_actions%22%7D");
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_764_669_600);

    [Fact]
    public void IsValid_AsSlackSigns_IsTrue()
    {
        var timestamp = Now.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);

        Assert.True(SlackSignature.IsValid(Secret, timestamp, SlackSigns(timestamp, Body), Body, Now));
    }

    [Fact]
    public void IsValid_BodyOrSecretOrVersionDiffers_IsFalse()
    {
        var timestamp = Now.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var signature = SlackSigns(timestamp, Body);

        Assert.False(SlackSignature.IsValid(Secret, timestamp, signature, [.. Body, (byte)'x'], Now));
        Assert.False(SlackSignature.IsValid(Secret + "x", timestamp, signature, Body, Now));
        Assert.False(SlackSignature.IsValid(Secret, timestamp, "v1" + signature[2..], Body, Now));
        Assert.False(SlackSignature.IsValid(Secret, timestamp, signature.ToUpperInvariant(), Body, Now));
        Assert.False(SlackSignature.IsValid(Secret, timestamp, null, Body, Now));
        Assert.False(SlackSignature.IsValid(Secret, null, signature, Body, Now));
    }

    [Theory]
    [InlineData(-301)]
    [InlineData(301)]
    public void IsValid_TimestampMoreThanFiveMinutesAway_IsFalse(int seconds)
    {
        var timestamp = Now.AddSeconds(seconds).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);

        Assert.False(SlackSignature.IsValid(Secret, timestamp, SlackSigns(timestamp, Body), Body, Now));
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("1e9")]
    [InlineData("99999999999999999999")]
    [InlineData(" 1764669600")]
    public void IsValid_TimestampNotUnixSeconds_IsFalse(string timestamp) =>
        Assert.False(SlackSignature.IsValid(Secret, timestamp, SlackSigns(timestamp, Body), Body, Now));

    [Theory]
    [InlineData("https://hooks.slack.com/actions/T0/1/abc", true)]
    [InlineData("https://HOOKS.slack.com/actions/T0/1/abc", true)]
    [InlineData("http://hooks.slack.com/actions/T0/1/abc", false)]
    [InlineData("https://hooks.slack.com.evil.example/actions", false)]
    [InlineData("https://evil.example/?https://hooks.slack.com/", false)]
    [InlineData("https://user@hooks.slack.com/actions", false)]
    [InlineData("https://hooks.slack.com:8443/actions", false)]
    [InlineData("/actions/T0", false)]
    [InlineData("", false)]
    public void AllowsResponseUrl_OnlySlacksHooksHost(string url, bool allowed) =>
        Assert.Equal(allowed, new SlackOptions().AllowsResponseUrl(url));

    [Fact]
    public void AllowsResponseUrl_ConfiguredBase_OnlyBelowItsPath()
    {
        var options = new SlackOptions { ResponseUrlBase = "http://127.0.0.1:5000/slack-actions" };

        Assert.True(options.AllowsResponseUrl("http://127.0.0.1:5000/slack-actions/T0/1/abc"));
        Assert.False(options.AllowsResponseUrl("http://127.0.0.1:5000/slack-actionsX/T0"));
        Assert.False(options.AllowsResponseUrl("http://127.0.0.1:5000/slack-actions/../revert"));
        Assert.False(options.AllowsResponseUrl("http://127.0.0.1:5001/slack-actions/T0"));
    }

    [Fact]
    public void Problems_SigningSecretWithoutOperators_IsRefusedAtStart()
    {
        Assert.NotEmpty(new SlackOptions { SigningSecret = Secret }.Problems());
        Assert.Empty(new SlackOptions { SigningSecret = Secret, Operators = ["U0OPS,U0OTHER"] }.Problems());
        Assert.Equal(["U0OPS", "U0OTHER"], new SlackOptions { Operators = ["U0OPS,U0OTHER"] }.OperatorIds.Order());
    }

    [Fact]
    public void ButtonValue_ReadBack_NamesTheStepAndThePlanShown()
    {
        var step = new Core.Rollbacks.RollbackStepRecord("schema", "sql", 1, Core.Deploys.StepStatus.AwaitingApproval, 0, null, null, "destructive") { PlanDigest = "abc123" };
        var block = SlackApprovalButtons.For(step, "rb-d1", "https://ops/api/ui#rollback=rb-d1");
        var approve = block["elements"]![0]!;

        var click = SlackApprovalButtons.Read((string?)approve["action_id"], (string?)approve["value"]);

        Assert.Equal(new ButtonClick(true, "rb-d1", "schema", "abc123"), click);
        Assert.Null(SlackApprovalButtons.Read(SlackApprovalButtons.OpenAction, null));
        Assert.Null(SlackApprovalButtons.Read(SlackApprovalButtons.ApproveAction, "not json"));
    }

    private static string SlackSigns(string timestamp, byte[] body)
    {
        using var hmac = new HMACSHA256(Encoding.UTF8.GetBytes(Secret));
        var hash = hmac.ComputeHash(Encoding.UTF8.GetBytes($"v0:{timestamp}:{Encoding.UTF8.GetString(body)}"));
        return "v0=" + string.Concat(hash.Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));
    }
}
