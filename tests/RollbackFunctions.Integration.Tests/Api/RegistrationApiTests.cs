using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using RollbackFunctions.Infrastructure.Storage;

namespace RollbackFunctions.Integration.Tests.Api;

public sealed class RegistrationApiTests(RuntimeFixture fixture) : IClassFixture<RuntimeFixture>
{
    [SkippableFact]
    public async Task Register_NewThenSameBodyThenOtherBody_Answers201Then200Then409()
    {
        var runtime = fixture.Require();
        var body = Payloads.DiamondDeploy($"reg-{Guid.NewGuid():N}", fixture.Receiver);

        using var created = await runtime.PostJsonAsync("/api/deploys", body);
        using var again = await runtime.PostJsonAsync("/api/deploys", body);
        body["version"] = "1.4.3";
        using var conflict = await runtime.PostJsonAsync("/api/deploys", body);

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, conflict.StatusCode);
        Assert.Equal("application/problem+json", conflict.Content.Headers.ContentType?.MediaType);
        var stored = await runtime.GetJsonAsync($"/api/deploys/{body["deployId"]}");
        Assert.Equal("1.4.2", stored["version"]!.GetValue<string>());
        Assert.Equal("active", stored["state"]!.GetValue<string>());
        Assert.All(stored["steps"]!.AsArray(), s => Assert.Equal("pending", s!["status"]!.GetValue<string>()));
    }

    [SkippableFact]
    public async Task Register_WithoutDeployId_GeneratesOne()
    {
        var runtime = fixture.Require();
        var body = Payloads.DiamondDeploy("x", fixture.Receiver);
        body.Remove("deployId");

        using var response = await runtime.PostJsonAsync("/api/deploys", body);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var reply = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.StartsWith("d-", reply["deployId"]!.GetValue<string>());
        Assert.Equal(30, reply["watchMinutes"]!.GetValue<int>());
    }

    public static TheoryData<string, string, string> BadBodies => new()
    {
        { "malformed JSON", """{"deployId": "bad-1", "service": """, "malformed JSON" },
        { "not an object", "[1,2,3]", "could not be converted" },
        { "missing service", """{"deployId":"bad-2","environment":"prod","version":"1","steps":[]}""", "service" },
        { "wrong type", """{"deployId":"bad-3","service":"s","environment":"prod","version":"1","steps":"all"}""", "steps" },
        { "unknown field", """{"deployId":"bad-4","service":"s","environment":"prod","version":"1","steps":[],"dependson":[]}""", "dependson" },
        { "unknown kind", Deploy("bad-5", """{"id":"a","kind":"helm9","params":{}}"""), "unknown step kind 'helm9'" },
        { "missing dependency", Deploy("bad-6", """{"id":"a","kind":"webhook","dependsOn":["ghost"],"params":{"revertUrl":"http://127.0.0.1/a"}}"""), "ghost" },
        { "cycle", Deploy("bad-7", Cyclic), "dependency cycle: " },
        { "host not allowed", Deploy("bad-8", """{"id":"a","kind":"webhook","params":{"revertUrl":"http://169.254.169.254/latest"}}"""), "AllowedHosts" },
        { "bad revert mode", Deploy("bad-9", """{"id":"a","kind":"webhook","params":{"revertUrl":"http://127.0.0.1/a"},"revert":{"mode":"yolo"}}"""), "mode" },
        { "deployId with slash", Deploy("bad/10", """{"id":"a","kind":"webhook","params":{"revertUrl":"http://127.0.0.1/a"}}"""), "deployId" },
        { "null step", Deploy("bad-11", "null"), "steps" },
        { "null id and kind", Deploy("bad-13", """{"id":null,"kind":null}"""), "steps[0].id" },
        { "null dependency", Deploy("bad-14", """{"id":"a","kind":"webhook","dependsOn":[null],"params":{"revertUrl":"http://127.0.0.1/a"}}"""), "dependsOn" },
        { "null service", """{"deployId":"bad-15","service":null,"environment":"prod","version":"1","steps":[]}""", "service" },
        { "null label value", """{"deployId":"bad-16","service":"s","environment":"prod","version":"1","labels":{"a":null},"steps":[]}""", "labels" },
        { "number as id", """{"deployId":17,"service":"s","environment":"prod","version":"1","steps":[]}""", "deployId" },
        { "eleven Datadog checks", Watched("bad-18", string.Join(",", Enumerable.Range(0, 11).Select(i => $$"""{"name":"dd{{i}}","source":"datadog","query":"avg:errors{*}","unhealthyAbove":1}"""))), "at most 10 per deploy (Rollback:Datadog:MaxChecksPerDeploy)" },
        { "burn rate objective 1.5", Watched("bad-19", """{"name":"budget","burnRate":{"objective":1.5,"good":"g[$window]","total":"t[$window]"}}"""), "conditions.checks[0].burnRate.objective" },
        { "burn rate windows reversed", Watched("bad-20", """{"name":"budget","burnRate":{"objective":0.999,"good":"g[$window]","total":"t[$window]","windows":[["1h","5m",14.4]]}}"""), "the short one shorter" },
        { "divergence without volumes", Watched("bad-21", """{"name":"canary","divergence":{"canary":"c","baseline":"b"}}"""), "canaryRequests" },
        { "CR LF in a revert URL", Deploy("bad-22", """{"id":"a","kind":"webhook","params":{"revertUrl":"http://127.0.0.1/a\r\nX-Injected: 1"}}"""), "control characters" },
        { "tab in a revert URL", Deploy("bad-23", """{"id":"a","kind":"webhook","params":{"revertUrl":"http://127.0.0.1/a\tb"}}"""), "control characters" },
        { "gitRevert fallback other than pullRequest", Deploy("bad-24", """{"id":"a","kind":"gitRevert","params":{"repository":"config","commit":"abcdef1","branch":"main","mode":"push","fallback":"force"}}"""), "params.fallback may only be 'pullRequest'" },
        { "gitRevert fallback without mode push", Deploy("bad-25", """{"id":"a","kind":"gitRevert","params":{"repository":"config","commit":"abcdef1","branch":"main","fallback":"pullRequest"}}"""), "params.fallback may only be 'pullRequest', with mode 'push'" },
        { "deeply nested", """{"deployId":"bad-12","conditions":""" + new string('[', 500) + new string(']', 500) + "}", "depth" },
    };

    private static string Watched(string id, string checks) =>
        $$$"""{"deployId":"{{{id}}}","service":"s","environment":"prod","version":"1","steps":[],"conditions":{"checks":[{{{checks}}}]}}""";

    private const string Cyclic = """
        {"id":"a","kind":"webhook","dependsOn":["c"],"params":{"revertUrl":"http://127.0.0.1/a"}},
        {"id":"b","kind":"webhook","dependsOn":["a"],"params":{"revertUrl":"http://127.0.0.1/b"}},
        {"id":"c","kind":"webhook","dependsOn":["b"],"params":{"revertUrl":"http://127.0.0.1/c"}}
        """;

    [SkippableTheory]
    [MemberData(nameof(BadBodies))]
    public async Task Register_BadBody_Answers400ProblemAndWritesNothing(string why, string body, string mentioned)
    {
        var runtime = fixture.Require();

        using var response = await runtime.PostJsonAsync("/api/deploys", body);

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{why}: {(int)response.StatusCode} {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(mentioned, text, StringComparison.OrdinalIgnoreCase);
        await AssertNothingStoredAsync(runtime, why);
    }

    [SkippableFact]
    public async Task Register_BodyOverOneMebibyte_Answers413AndWritesNothing()
    {
        var runtime = fixture.Require();
        var huge = Deploy("big-1", """{"id":"a","kind":"webhook","params":{"revertUrl":"http://127.0.0.1/a","pad":"PAD"}}""").Replace("PAD", new string('x', 1024 * 1024));

        using var response = await runtime.PostJsonAsync("/api/deploys", huge);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        await AssertNothingStoredAsync(runtime, "oversized body");
    }

    [SkippableFact]
    public async Task Register_ChunkedBodyOverOneMebibyte_Answers413()
    {
        var runtime = fixture.Require();
        var content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(new string(' ', 1024 * 1024 + 10) + "{}")));
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/deploys") { Content = content };
        request.Headers.TransferEncodingChunked = true;

        using var response = await runtime.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [SkippableTheory]
    [InlineData("text/plain")]
    [InlineData("application/x-www-form-urlencoded")]
    public async Task Register_NotJson_Answers415(string contentType)
    {
        var runtime = fixture.Require();

        using var response = await runtime.Http.PostAsync("/api/deploys", new StringContent("{}", Encoding.UTF8, contentType));

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [SkippableFact]
    public async Task Get_UnknownOrHostileId_Answers404()
    {
        var runtime = fixture.Require();

        using var unknown = await runtime.Http.GetAsync("/api/deploys/nope");
        using var hostile = await runtime.Http.GetAsync("/api/deploys/a%27%20or%20%271%27%20eq%20%271");

        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, hostile.StatusCode);
    }

    private static string Deploy(string id, string steps) =>
        $$"""{"deployId":"{{id}}","service":"checkout","environment":"prod","version":"1.4.2","steps":[{{steps}}]}""";

    private static async Task AssertNothingStoredAsync(TestRuntime runtime, string why)
    {
        var table = runtime.Services.GetRequiredService<StorageTables>().Deploys;
        var bad = new List<string>();
        await foreach (var entity in table.QueryAsync<TableEntity>(e => e.PartitionKey.CompareTo("bad") >= 0 && e.PartitionKey.CompareTo("bae") < 0))
        {
            bad.Add(entity.PartitionKey);
        }

        Assert.True(bad.Count == 0, $"{why}: stored {string.Join(", ", bad)}");
    }
}
