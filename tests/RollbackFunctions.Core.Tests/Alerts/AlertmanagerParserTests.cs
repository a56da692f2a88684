using RollbackFunctions.Core.Alerts;

namespace RollbackFunctions.Core.Tests.Alerts;

public sealed class AlertmanagerParserTests
{
    [Fact]
    public void Parse_CapturedFiringGroup_ReturnsEveryAlertWithMergedLabels()
    {
        var alerts = AlertmanagerParser.Parse(Fixtures.Json("alertmanager-0.25-firing.json")).Alerts;

        Assert.Equal(2, alerts.Count);
        Assert.All(alerts, a => Assert.Equal(AlertStatus.Firing, a.Status));
        Assert.All(alerts, a => Assert.Equal("checkout", a.Labels["service"]));
        Assert.Equal("checkout-5f6d-abcde", alerts[1].Labels["pod"]);
        Assert.Equal("CheckoutErrorBudgetBurn", alerts[0].Name);
        Assert.Equal(new DateTimeOffset(2026, 11, 27, 22, 38, 38, TimeSpan.Zero), alerts[0].StartsAt);
        Assert.StartsWith("http://prometheus:9090/graph", alerts[0].Link);
        Assert.Null(alerts[1].Link);
    }

    [Fact]
    public void Parse_PartlyResolvedResend_KeepsDedupKeysOfTheFirstSend()
    {
        var first = AlertmanagerParser.Parse(Fixtures.Json("alertmanager-0.25-firing.json")).Alerts;
        var resend = AlertmanagerParser.Parse(Fixtures.Json("alertmanager-0.25-partly-resolved.json")).Alerts;

        Assert.Contains(resend, a => a.Status == AlertStatus.Resolved);
        Assert.Contains(resend, a => a.Status == AlertStatus.Firing);
        Assert.Subset(first.Select(a => a.DedupKey).ToHashSet(), resend.Select(a => a.DedupKey).ToHashSet());
    }

    [Fact]
    public void Parse_SameAlertFiringAgainLater_GetsANewDedupKey()
    {
        var earlier = AlertmanagerParser.Parse(Payload("2026-11-27T10:00:00Z")).Alerts[0];
        var later = AlertmanagerParser.Parse(Payload("2026-11-27T12:00:00Z")).Alerts[0];

        Assert.NotEqual(earlier.DedupKey, later.DedupKey);
    }

    [Fact]
    public void Parse_AlertWithoutFingerprint_UsesItsLabelSet()
    {
        var alert = AlertmanagerParser.Parse(Fixtures.Parse("""
            {"version":"4","groupKey":"g","alerts":[{"status":"firing","labels":{"service":"a"},"startsAt":"2026-01-01T00:00:00Z"}]}
            """)).Alerts[0];

        Assert.Contains("service=a", alert.DedupKey);
    }

    [Theory]
    [InlineData("""[]""", "JSON object")]
    [InlineData("""{"version":"3","groupKey":"g","alerts":[]}""", "version")]
    [InlineData("""{"version":"4","alerts":[]}""", "groupKey")]
    [InlineData("""{"version":"4","groupKey":"g","alerts":{}}""", "alerts")]
    [InlineData("""{"version":"4","groupKey":"g","commonLabels":{"a":[]},"alerts":[]}""", "commonLabels.a")]
    public void Parse_MalformedEnvelope_ThrowsNamingTheField(string json, string field)
    {
        var error = Assert.Throws<AlertPayloadException>(() => AlertmanagerParser.Parse(Fixtures.Parse(json)));

        Assert.Contains(field, error.Message);
    }

    /// <summary>Issue 9, finding 11: one malformed alert rejected the whole group, and Alertmanager never retries a 4xx.</summary>
    [Theory]
    [InlineData("""{"status":"burning","startsAt":"2026-01-01T00:00:00Z"}""", "alerts[1].status")]
    [InlineData("""{"status":"firing","startsAt":"yesterday"}""", "alerts[1].startsAt")]
    [InlineData("""{"status":"firing","startsAt":"2026-01-01T00:00:00Z","labels":{"a":1}}""", "alerts[1].labels.a")]
    [InlineData("""42""", "alerts[1] must be an object")]
    public void Parse_OneMalformedAlert_KeepsTheOthersAndSaysWhatWasWrong(string bad, string field)
    {
        var good = """{"status":"firing","fingerprint":"f","labels":{"service":"a"},"startsAt":"2026-01-01T00:00:00Z"}""";

        var batch = AlertmanagerParser.Parse(Fixtures.Parse($$"""{"version":"4","groupKey":"g","alerts":[{{good}},{{bad}},{{good.Replace("\"f\"", "\"g\"", StringComparison.Ordinal)}}]}"""));

        Assert.Equal(2, batch.Alerts.Count);
        Assert.Contains(field, Assert.Single(batch.Rejected));
    }

    [Fact]
    public void Parse_GroupTruncatedByMaxAlerts_CountsWhatWasLeftOut() =>
        Assert.Equal(7, AlertmanagerParser.Parse(Fixtures.Parse("""{"version":"4","groupKey":"g","truncatedAlerts":7,"alerts":[]}""")).Truncated);

    private static System.Text.Json.JsonElement Payload(string startsAt) => Fixtures.Parse($$"""
        {"version":"4","groupKey":"g","alerts":[{"status":"firing","fingerprint":"f1","labels":{"service":"a"},"startsAt":"{{startsAt}}"}]}
        """);
}
