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

    /// <summary>
    /// A step's params are shown to every reader (the deploy, the registration reply): values that may
    /// be secrets (a text flag's previous value, Terraform vars, backend settings such as access_key or
    /// sas_token, a webhook URL's query) are shown as digests; names and targets as they are.
    /// </summary>
    [Fact]
    public void Params_ValuesThatMayBeSecrets_AreShownAsDigests_TargetsAsTheyAre()
    {
        var parameters = JsonNode.Parse("""
            {"checkout":"platform","path":"infra","previousRef":"release-1.4.2",
             "vars":{"db_password":"pw-tf-1","replicas":3},"backendConfig":["storage_account_name=tfstate","sas_token=sv-sas-2"],
             "provider":"appconfig","flag":"checkout.banner","previousValue":"conn-str-3",
             "revertUrl":"https://hooks.example/revert/checkout?token=hook-tok-4"}
            """)!.AsObject();

        var shown = CapturedSummary.Params(parameters);

        var text = shown.ToJsonString();
        Assert.All(new[] { "pw-tf-1", "sv-sas-2", "conn-str-3", "hook-tok-4", "tfstate" }, secret => Assert.DoesNotContain(secret, text, StringComparison.Ordinal));
        Assert.Equal("platform", shown["checkout"]!.GetValue<string>());
        Assert.Equal("release-1.4.2", shown["previousRef"]!.GetValue<string>());
        Assert.Equal(3, shown["vars"]!["replicas"]!.GetValue<int>());
        Assert.StartsWith("sha256:", shown["vars"]!["db_password"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.StartsWith("sas_token=sha256:", shown["backendConfig"]![1]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.StartsWith("https://hooks.example/revert/checkout?sha256:", shown["revertUrl"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("conn-str-3", parameters["previousValue"]!.GetValue<string>()); // the stored params are untouched
    }
}
