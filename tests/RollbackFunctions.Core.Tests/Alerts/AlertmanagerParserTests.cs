using RollbackFunctions.Core.Alerts;

namespace RollbackFunctions.Core.Tests.Alerts;

public sealed class AlertmanagerParserTests
{
    [Fact]
    public void Parse_CapturedFiringGroup_ReturnsEveryAlertWithMergedLabels()
    {
        var alerts = AlertmanagerParser.Parse(Fixtures.Json("alertmanager-0.25-firing.json"));

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
        var first = AlertmanagerParser.Parse(Fixtures.Json("alertmanager-0.25-firing.json"));
        var resend = AlertmanagerParser.Parse(Fixtures.Json("alertmanager-0.25-partly-resolved.json"));

        Assert.Contains(resend, a => a.Status == AlertStatus.Resolved);
        Assert.Contains(resend, a => a.Status == AlertStatus.Firing);
        Assert.Subset(first.Select(a => a.DedupKey).ToHashSet(), resend.Select(a => a.DedupKey).ToHashSet());
    }

    [Fact]
    public void Parse_SameAlertFiringAgainLater_GetsANewDedupKey()
    {
        var earlier = AlertmanagerParser.Parse(Payload("2026-11-27T10:00:00Z"))[0];
        var later = AlertmanagerParser.Parse(Payload("2026-11-27T12:00:00Z"))[0];

        Assert.NotEqual(earlier.DedupKey, later.DedupKey);
    }

    [Fact]
    public void Parse_AlertWithoutFingerprint_UsesItsLabelSet()
    {
        var alert = AlertmanagerParser.Parse(Fixtures.Parse("""
            {"version":"4","groupKey":"g","alerts":[{"status":"firing","labels":{"service":"a"},"startsAt":"2026-01-01T00:00:00Z"}]}
            """))[0];

        Assert.Contains("service=a", alert.DedupKey);
    }

    [Theory]
    [InlineData("""[]""", "JSON object")]
    [InlineData("""{"version":"3","groupKey":"g","alerts":[]}""", "version")]
    [InlineData("""{"version":"4","alerts":[]}""", "groupKey")]
    [InlineData("""{"version":"4","groupKey":"g","alerts":{}}""", "alerts")]
    [InlineData("""{"version":"4","groupKey":"g","alerts":[{"status":"burning","startsAt":"2026-01-01T00:00:00Z"}]}""", "alerts[0].status")]
    [InlineData("""{"version":"4","groupKey":"g","alerts":[{"status":"firing","startsAt":"yesterday"}]}""", "alerts[0].startsAt")]
    [InlineData("""{"version":"4","groupKey":"g","alerts":[{"status":"firing","startsAt":"2026-01-01T00:00:00Z","labels":{"a":1}}]}""", "alerts[0].labels.a")]
    public void Parse_MalformedPayload_ThrowsNamingTheField(string json, string field)
    {
        var error = Assert.Throws<AlertPayloadException>(() => AlertmanagerParser.Parse(Fixtures.Parse(json)));

        Assert.Contains(field, error.Message);
    }

    private static System.Text.Json.JsonElement Payload(string startsAt) => Fixtures.Parse($$"""
        {"version":"4","groupKey":"g","alerts":[{"status":"firing","fingerprint":"f1","labels":{"service":"a"},"startsAt":"{{startsAt}}"}]}
        """);
}
