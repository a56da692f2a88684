using System.Text.Json.Nodes;
using RollbackFunctions.Core.Executors;

namespace RollbackFunctions.Core.Tests.Executors;

/// <summary>The one rule for showing captured state (SAFETY.md 10): names, digests, images and revisions; never values.</summary>
public sealed class CapturedSummaryTests
{
    [Fact]
    public void Of_ConfigMap_ShowsKeyNamesAndADigest_NeverValues()
    {
        var captured = JsonNode.Parse("""
            {"cluster":"prod","data":{"DATABASE_URL":"postgres://owner:pw-1@db/orders","LOG_LEVEL":"debug"},"binaryData":{"tls.key":"c2VjcmV0LWtleQ=="}}
            """)!.AsObject();

        var summary = CapturedSummary.Of(captured)!;

        var text = summary.ToJsonString();
        Assert.DoesNotContain("pw-1", text, StringComparison.Ordinal);
        Assert.DoesNotContain("debug", text, StringComparison.Ordinal);
        Assert.DoesNotContain("c2VjcmV0LWtleQ", text, StringComparison.Ordinal);
        Assert.Equal("prod", summary["cluster"]!.GetValue<string>());
        Assert.Equal(["DATABASE_URL", "LOG_LEVEL"], summary["data"]!["keys"]!.AsArray().Select(k => k!.GetValue<string>()));
        Assert.StartsWith("sha256:", summary["binaryData"]!["digest"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public void Of_PodTemplate_ShowsImagesAndEnvNames_NeverEnvValues()
    {
        var captured = JsonNode.Parse("""
            {"revision":"3","images":["registry/checkout:1.4.1"],"template":{"spec":{
              "initContainers":[{"name":"migrate","image":"registry/migrate:7","env":[{"name":"DB_PASSWORD","value":"init-pw-9"}]}],
              "containers":[{"name":"app","image":"registry/checkout:1.4.1","env":[{"name":"API_TOKEN","value":"tok-77"},{"name":"FROM_SECRET","valueFrom":{"secretKeyRef":{"name":"s","key":"k"}}}]}]}}}
            """)!.AsObject();

        var summary = CapturedSummary.Of(captured)!;

        var text = summary.ToJsonString();
        Assert.DoesNotContain("tok-77", text, StringComparison.Ordinal);
        Assert.DoesNotContain("init-pw-9", text, StringComparison.Ordinal);
        Assert.Equal("3", summary["revision"]!.GetValue<string>());
        var app = summary["template"]!["containers"]![0]!;
        Assert.Equal("registry/checkout:1.4.1", app["image"]!.GetValue<string>());
        Assert.Equal(["API_TOKEN", "FROM_SECRET"], app["env"]!.AsArray().Select(e => e!.GetValue<string>()));
        Assert.Equal("DB_PASSWORD", summary["template"]!["initContainers"]![0]!["env"]![0]!.GetValue<string>());
        Assert.StartsWith("sha256:", summary["template"]!["digest"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public void Of_UnknownTextOrObjects_AreDigests_FlagsTrueFalseStayReadable()
    {
        var captured = JsonNode.Parse("""{"value":false,"limit":3,"payload":"anything-at-all","nested":{"a":"b"}}""")!.AsObject();

        var summary = CapturedSummary.Of(captured)!;

        Assert.False(summary["value"]!.GetValue<bool>());
        Assert.Equal(3, summary["limit"]!.GetValue<int>());
        Assert.StartsWith("sha256:", summary["payload"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.StartsWith("sha256:", summary["nested"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.DoesNotContain("anything-at-all", CapturedSummary.Line(captured), StringComparison.Ordinal);
    }
}
