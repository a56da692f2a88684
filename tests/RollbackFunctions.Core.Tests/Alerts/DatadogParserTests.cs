using RollbackFunctions.Core.Alerts;

namespace RollbackFunctions.Core.Tests.Alerts;

public sealed class DatadogParserTests
{
    private const string Triggered = """
        {"id":"7391","alert_id":"1234","alert_cycle_key":"cycle-9","alert_transition":"Triggered",
         "alert_scope":"service:checkout,env:prod","tags":"team:payments, service:checkout, env:staging, cluster:eu1, monitor",
         "title":"[Triggered] checkout error rate","link":"https://app.datadoghq.com/monitors/1234","date":"1764282000000"}
        """;

    /// <summary>
    /// Issue 16, finding 8: the cycle key is the dedup key of a Datadog alert. An empty one, or the
    /// variable left unexpanded by a template typo, would make every alert one episode.
    /// </summary>
    [Theory]
    [InlineData("\"\"")]
    [InlineData("\"  \"")]
    [InlineData("\"$ALERT_CYCLE_KEY\"")]
    [InlineData("\"$alert_cycle_key\"")]
    public void Parse_UnusableCycleKey_IsRefusedWithTheReason(string cycleKey)
    {
        var body = Triggered.Replace("\"alert_cycle_key\":\"cycle-9\"", $"\"alert_cycle_key\":{cycleKey}", StringComparison.Ordinal);

        var refusal = Assert.Throws<AlertPayloadException>(() => DatadogParser.Parse(Fixtures.Parse(body)));

        Assert.Contains("alert_cycle_key", refusal.Message);
        Assert.Contains("$ALERT_CYCLE_KEY", refusal.Message);
    }

    /// <summary>Issue 9, finding 5: a Renotify carries today's $DATE; the episode began at $LAST_TRIGGERED_AT_EPOCH.</summary>
    [Fact]
    public void Parse_LastTriggeredGiven_TheEpisodesStartIsTheAlertsStart()
    {
        var renotify = Triggered.Replace("\"alert_transition\":\"Triggered\"", "\"alert_transition\":\"Renotify\",\"last_triggered_at_epoch\":\"1764200000000\"", StringComparison.Ordinal);

        var alert = DatadogParser.Parse(Fixtures.Parse(renotify));

        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1764200000000), alert.StartsAt);
    }

    [Fact]
    public void Parse_LastTriggeredNotRendered_FallsBackToTheDate() =>
        Assert.Equal(
            DateTimeOffset.FromUnixTimeMilliseconds(1764282000000),
            DatadogParser.Parse(Fixtures.Parse(Triggered.Replace("\"date\":", "\"last_triggered_at_epoch\":\"$LAST_TRIGGERED_AT_EPOCH\",\"date\":", StringComparison.Ordinal))).StartsAt);

    [Fact]
    public void Parse_TriggeredMonitor_ReadsLabelsFromTagsAndScope()
    {
        var alert = DatadogParser.Parse(Fixtures.Parse(Triggered));

        Assert.Equal(AlertStatus.Firing, alert.Status);
        Assert.Equal("checkout", alert.Labels["service"]);
        Assert.Equal("prod", alert.Labels["env"]); // the scope names the triggering group, so it wins over tags
        Assert.Equal("eu1", alert.Labels["cluster"]);
        Assert.False(alert.Labels.ContainsKey("monitor"));
        Assert.Equal("datadog|cycle-9", alert.DedupKey);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1764282000000), alert.StartsAt);
        Assert.Equal("https://app.datadoghq.com/monitors/1234", alert.Link);
    }

    [Fact]
    public void Parse_ExplicitServiceField_OverridesTags()
    {
        var alert = DatadogParser.Parse(Fixtures.Parse(Triggered.Replace("\"id\":\"7391\"", "\"service\":\"cart\",\"id\":\"7391\"")));

        Assert.Equal("cart", alert.Labels["service"]);
    }

    [Theory]
    [InlineData("Triggered", AlertStatus.Firing)]
    [InlineData("Re-Triggered", AlertStatus.Firing)]
    [InlineData("Renotify", AlertStatus.Firing)]
    [InlineData("Recovered", AlertStatus.Resolved)]
    [InlineData("Warn", AlertStatus.Informational)]
    [InlineData("No Data", AlertStatus.Informational)]
    [InlineData("Re-No Data", AlertStatus.Informational)]
    public void StatusOf_Transition_MapsToStatus(string transition, AlertStatus expected) =>
        Assert.Equal(expected, DatadogParser.StatusOf(transition));

    [Theory]
    [InlineData("alert_cycle_key")]
    [InlineData("alert_transition")]
    [InlineData("date")]
    public void Parse_MissingRequiredField_Throws(string field)
    {
        var json = Fixtures.Parse(Triggered);
        var without = System.Text.Json.Nodes.JsonNode.Parse(json.GetRawText())!.AsObject();
        without.Remove(field);

        var error = Assert.Throws<AlertPayloadException>(() => DatadogParser.Parse(Fixtures.Parse(without.ToJsonString())));

        Assert.Contains(field, error.Message);
    }

    [Fact]
    public void Parse_DateNotATime_Throws() =>
        Assert.Throws<AlertPayloadException>(() => DatadogParser.Parse(Fixtures.Parse(Triggered.Replace("1764282000000", "soon"))));
}
