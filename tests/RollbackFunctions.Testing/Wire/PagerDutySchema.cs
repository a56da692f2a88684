using System.Text.Json.Nodes;

namespace RollbackFunctions.Testing;

/// <summary>The rules of the PagerDuty Events API v2 that a sender must respect.</summary>
public static class PagerDutySchema
{
    public static void AssertValid(JsonNode? body)
    {
        Assert.NotNull(body);
        Assert.Equal(32, body["routing_key"]!.GetValue<string>().Length);
        var action = body["event_action"]!.GetValue<string>();
        Assert.Contains(action, new[] { "trigger", "acknowledge", "resolve" });
        var dedupKey = body["dedup_key"]?.GetValue<string>();
        Assert.True(action == "trigger" || dedupKey is not null, "acknowledge and resolve need a dedup_key");
        Assert.True(dedupKey is null or { Length: <= 255 }, "dedup_key is at most 255 characters");
        if (action != "trigger")
        {
            return;
        }

        var payload = body["payload"]!;
        Assert.InRange(payload["summary"]!.GetValue<string>().Length, 1, 1024);
        Assert.False(string.IsNullOrEmpty(payload["source"]!.GetValue<string>()));
        Assert.Contains(payload["severity"]!.GetValue<string>(), new[] { "critical", "error", "warning", "info" });
    }
}
