using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using RollbackFunctions.Core.Deploys;

namespace RollbackFunctions.Integration.Tests.Api;

/// <summary>Named keys with roles on the local runtime, over HTTP: who may call what, and what the audit trail records.</summary>
public sealed class AccessApiTests(AccessApiTests.KeyedRuntime fixture) : IClassFixture<AccessApiTests.KeyedRuntime>
{
    internal const string CiSecret = "ci-0123456789abcdef0123456789abcdef";
    internal const string AlertsSecret = "al-0123456789abcdef0123456789abcdef";
    internal const string OncallSecret = "on-0123456789abcdef0123456789abcdef";
    internal const string ReaderSecret = "rd-0123456789abcdef0123456789abcdef";

    /// <summary>One key per role, as settings for <see cref="TestRuntime.StartAsync"/>.</summary>
    internal static readonly string[] KeySettings =
    [
        "Rollback:Auth:Keys:pipeline:Secret=" + CiSecret,
        "Rollback:Auth:Keys:pipeline:Roles:0=ci",
        "Rollback:Auth:Keys:alertmanager:Secret=" + AlertsSecret,
        "Rollback:Auth:Keys:alertmanager:Roles:0=alerts",
        "Rollback:Auth:Keys:oncall:Secret=" + OncallSecret,
        "Rollback:Auth:Keys:oncall:Roles:0=operator",
        "Rollback:Auth:Keys:dashboard:Secret=" + ReaderSecret,
        "Rollback:Auth:Keys:dashboard:Roles:0=reader",
    ];

    /// <summary>
    /// Every keyed operation of <c>docs/openapi.json</c> with the roles it names
    /// (<c>x-required-roles</c>, comma-separated): the document is the contract a client reads, and
    /// the handlers are held to it. A route added later is checked here without a line changed.
    /// </summary>
    public static TheoryData<string, string, string> Routes => Operations((_, o) => o["x-required-roles"] is JsonArray roles ? string.Join(',', roles.Select(r => r!.GetValue<string>())) : null);

    /// <summary>
    /// The reads the document declares open (one empty security requirement). An open POST proves
    /// its caller some other way (a signature), so an empty body is no test of it.
    /// </summary>
    public static TheoryData<string, string, string> OpenRoutes => Operations((method, o) => method == "get" && o["security"] is JsonArray { Count: 1 } security && security[0] is JsonObject { Count: 0 } ? "" : null);

    private static TheoryData<string, string, string> Operations(Func<string, JsonNode, string?> select)
    {
        var data = new TheoryData<string, string, string>();
        var document = JsonNode.Parse(File.ReadAllText(Path.Combine(Repo.Root, "docs", "openapi.json")))!;
        foreach (var (path, item) in document["paths"]!.AsObject())
        {
            foreach (var (method, operation) in item!.AsObject())
            {
                if (select(method, operation!) is { } roles)
                {
                    data.Add(method.ToUpperInvariant(), Example(path), roles);
                }
            }
        }

        return data;
    }

    /// <summary>A path with made-up ids: nothing exists there, so no call here changes anything.</summary>
    private static string Example(string path) =>
        System.Text.RegularExpressions.Regex.Replace(path, @"\{(\w+)\}", m => m.Groups[1].Value switch
        {
            "deployId" => "d-1",
            "rollbackId" => "rb-d-1",
            var other => $"{other}-1",
        });

    private static readonly Dictionary<string, string> SecretOfRole = new()
    {
        ["ci"] = CiSecret,
        ["alerts"] = AlertsSecret,
        ["operator"] = OncallSecret,
        ["reader"] = ReaderSecret,
    };

    [SkippableTheory]
    [MemberData(nameof(Routes))]
    public async Task Route_WithoutOrWithAWrongKey_Is401AndSaysNothingMore(string method, string path, string role)
    {
        var runtime = fixture.Require();
        _ = role;

        using var none = await SendAsync(runtime, method, path, secret: null);
        using var wrong = await SendAsync(runtime, method, path, secret: "wrong-" + CiSecret);
        using var almost = await SendAsync(runtime, method, path, secret: CiSecret[..^1]);

        foreach (var reply in new[] { none, wrong, almost })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, reply.StatusCode);
            Assert.Equal("application/problem+json", reply.Content.Headers.ContentType?.MediaType);
            Assert.Contains(reply.Headers.WwwAuthenticate, h => h.Scheme == "Bearer");
        }

        Assert.Equal(await WithoutTraceIdAsync(none), await WithoutTraceIdAsync(wrong));
        Assert.Equal(await WithoutTraceIdAsync(none), await WithoutTraceIdAsync(almost));
    }

    private static async Task<string> WithoutTraceIdAsync(HttpResponseMessage reply)
    {
        var problem = JsonNode.Parse(await reply.Content.ReadAsStringAsync())!.AsObject();
        problem.Remove("traceId");
        return problem.ToJsonString();
    }

    [SkippableTheory]
    [MemberData(nameof(Routes))]
    public async Task Route_OnlyItsRolesPassTheDoor(string method, string path, string roles)
    {
        var runtime = fixture.Require();
        Assert.NotEmpty(roles);

        foreach (var (other, secret) in SecretOfRole)
        {
            using var reply = await SendAsync(runtime, method, path, secret);
            if (roles.Split(',').Contains(other))
            {
                // Past the door the handler answers: not found, bad body, but never 401 or 403.
                Assert.NotEqual(HttpStatusCode.Unauthorized, reply.StatusCode);
                Assert.NotEqual(HttpStatusCode.Forbidden, reply.StatusCode);
            }
            else
            {
                Assert.Equal(HttpStatusCode.Forbidden, reply.StatusCode);
            }
        }
    }

    [SkippableTheory]
    [MemberData(nameof(OpenRoutes))]
    public async Task OpenRoute_AnswersWithoutAKey(string method, string path, string none)
    {
        var runtime = fixture.Require();
        _ = none;

        using var reply = await SendAsync(runtime, method, path, secret: null);

        Assert.True(reply.IsSuccessStatusCode, $"{method} {path}: {(int)reply.StatusCode}");
    }

    [SkippableFact]
    public async Task Key_IsAcceptedAsBearerFunctionsKeyOrCode()
    {
        var runtime = fixture.Require();

        using var bearer = await SendAsync(runtime, "GET", "/api/rollbacks", ReaderSecret);
        using var header = new HttpRequestMessage(HttpMethod.Get, "/api/rollbacks");
        header.Headers.Add("x-functions-key", ReaderSecret);
        using var viaHeader = await runtime.Http.SendAsync(header);
        using var viaCode = await runtime.Http.GetAsync($"/api/rollbacks?code={ReaderSecret}");
        using var health = await runtime.Http.GetAsync("/api/health");

        Assert.Equal(HttpStatusCode.OK, bearer.StatusCode);
        Assert.Equal(HttpStatusCode.OK, viaHeader.StatusCode);
        Assert.Equal(HttpStatusCode.OK, viaCode.StatusCode);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    /// <summary>What the ops page asks before it offers buttons: any valid key learns its own roles, and only its own.</summary>
    [SkippableFact]
    public async Task Access_AnyValidKey_LearnsItsOwnRoles_NoKeyIs401()
    {
        var runtime = fixture.Require();

        using var none = await SendAsync(runtime, "GET", "/api/access", secret: null);
        using var oncall = await SendAsync(runtime, "GET", "/api/access", OncallSecret);
        using var reader = await SendAsync(runtime, "GET", "/api/access", ReaderSecret);

        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        var asOncall = JsonNode.Parse(await oncall.Content.ReadAsStringAsync())!;
        Assert.Equal("oncall", asOncall["key"]!.GetValue<string>());
        Assert.Equal(["operator"], asOncall["roles"]!.AsArray().Select(r => r!.GetValue<string>()));
        Assert.Equal(["reader"], JsonNode.Parse(await reader.Content.ReadAsStringAsync())!["roles"]!.AsArray().Select(r => r!.GetValue<string>()));
        Assert.DoesNotContain(OncallSecret, asOncall.ToJsonString());
    }

    [SkippableFact]
    public async Task Register_WithoutTheCiRole_WritesNothing()
    {
        var runtime = fixture.Require();
        var id = Repo.UniqueName("acc");
        var body = new JsonObject { ["deployId"] = id, ["service"] = "svc", ["version"] = "1", ["environment"] = "prod", ["steps"] = new JsonArray() }.ToJsonString();

        using var refused = await SendAsync(runtime, "POST", "/api/deploys", ReaderSecret, body);
        using var read = await SendAsync(runtime, "GET", $"/api/deploys/{id}", ReaderSecret);

        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, read.StatusCode);
    }

    [SkippableFact]
    public async Task Audit_NamesTheKeyAsActor_WithTheOperatorsDisplayNameBesideIt()
    {
        var runtime = fixture.Require();
        await using var receiver = await LocalReceiver.StartAsync();
        var id = Repo.UniqueName("acc");
        using var registered = await SendAsync(runtime, "POST", "/api/deploys", CiSecret, Payloads.DiamondDeploy(id, receiver).ToJsonString());
        Assert.Equal(HttpStatusCode.Created, registered.StatusCode);

        using var started = await SendAsync(runtime, "POST", $"/api/deploys/{id}/rollback", OncallSecret, """{"actor":"Alice\nforged line","reason":"bad deploy"}""");
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var rollbackId = Identifiers.RollbackIdFor(id);
        await Eventually.HoldsAsync(
            async () =>
            {
                using var reply = await SendAsync(runtime, "GET", $"/api/rollbacks/{rollbackId}", ReaderSecret);
                return reply.IsSuccessStatusCode && JsonNode.Parse(await reply.Content.ReadAsStringAsync())!["phase"]!.GetValue<string>() is "succeeded" or "failed";
            },
            TimeSpan.FromSeconds(60),
            () => $"rollback {rollbackId} did not end");

        using var audit = await SendAsync(runtime, "GET", $"/api/rollbacks/{rollbackId}/audit", ReaderSecret);
        var rows = JsonNode.Parse(await audit.Content.ReadAsStringAsync())!["rows"]!.AsArray();
        Assert.Equal("oncall (Aliceforged line)", rows.First(r => r!["action"]!.GetValue<string>() == "rollback.claimed")!["actor"]!.GetValue<string>());
    }

    [Fact]
    public async Task Start_WithAKeyTooShortOrAnUnknownRole_Refuses()
    {
        var refused = await Assert.ThrowsAnyAsync<OptionsValidationException>(async () =>
        {
            await using var runtime = await TestRuntime.StartAsync(
                "Rollback:Auth:Keys:weak:Secret=short",
                "Rollback:Auth:Keys:weak:Roles:0=ci",
                "Rollback:Auth:Keys:typo:Secret=" + CiSecret,
                "Rollback:Auth:Keys:typo:Roles:0=admin");
        });

        Assert.Contains(refused.Failures, f => f.Contains("weak:Secret", StringComparison.Ordinal));
        Assert.Contains(refused.Failures, f => f.Contains("'admin'", StringComparison.Ordinal));
    }

    private static async Task<HttpResponseMessage> SendAsync(TestRuntime runtime, string method, string path, string? secret, string body = "{}")
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (secret is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", secret);
        }

        if (method == "POST")
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        return await runtime.Http.SendAsync(request);
    }

    /// <summary>A runtime with one key per role; the operator's key also reads.</summary>
    public sealed class KeyedRuntime : IAsyncLifetime
    {
        private TestRuntime? runtime;
        private string? missing;

        internal TestRuntime Require()
        {
            RealParts.Require(missing is null, missing ?? "");
            return runtime!;
        }

        public async Task InitializeAsync()
        {
            try
            {
                runtime = await TestRuntime.StartAsync(KeySettings);
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
        }
    }
}
