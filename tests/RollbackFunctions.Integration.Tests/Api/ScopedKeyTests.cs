using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Core.Ports;
using RollbackFunctions.Core.Rollbacks;

namespace RollbackFunctions.Integration.Tests.Api;

/// <summary>
/// SAFETY.md 9 on the local runtime: keys scoped to services and environments, environments declared
/// rather than spelled, targets that serve only their environments, and CI's actions audited with its key.
/// </summary>
public sealed class ScopedKeyTests(ScopedKeyTests.ScopedRuntime fixture) : IClassFixture<ScopedKeyTests.ScopedRuntime>
{
    private const string CheckoutCi = "ci-checkout-0123456789abcdef0123456789ab";
    private const string AnyCi = "ci-any-0123456789abcdef0123456789abcdef";
    private const string CartReader = "rd-cart-0123456789abcdef0123456789abcd";
    private const string Reader = "rd-all-0123456789abcdef0123456789abcdef";
    private const string CartOncall = "on-cart-0123456789abcdef0123456789abcd";
    private const string Oncall = "on-all-0123456789abcdef0123456789abcdef";
    private const string CartAlerts = "al-cart-0123456789abcdef0123456789abcd";

    [SkippableFact]
    public async Task Register_CiKeyScopedToOneService_CannotRegisterAnothersDeploy()
    {
        var (runtime, receiver, _) = fixture.Require();
        var cart = Repo.UniqueName("scope");
        var checkout = Repo.UniqueName("scope");

        using var refused = await SendAsync(runtime, "POST", "/api/deploys", CheckoutCi, Payloads.DiamondDeploy(cart, receiver, "cart", "staging"));
        using var allowed = await SendAsync(runtime, "POST", "/api/deploys", CheckoutCi, Payloads.DiamondDeploy(checkout, receiver, "checkout", "staging"));

        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains("'cart'", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Created, allowed.StatusCode);
        await AssertNotStoredAsync(runtime, cart);
    }

    [SkippableFact]
    public async Task CiKeyScopedToOneService_CannotReportCompleteOrAskTheGateOfAnothersDeploy()
    {
        var (runtime, receiver, _) = fixture.Require();
        var cart = await RegisterAsync(runtime, receiver, "cart", "staging");

        using var report = await SendAsync(runtime, "POST", $"/api/deploys/{cart}/steps/schema", CheckoutCi, new JsonObject { ["status"] = "applied" });
        using var complete = await SendAsync(runtime, "POST", $"/api/deploys/{cart}/complete", CheckoutCi);
        using var gate = await SendAsync(runtime, "GET", $"/api/deploys/{cart}/gate", CheckoutCi);

        // Not 403: a deploy outside the key's scope answers as one that does not exist (S4).
        Assert.Equal(HttpStatusCode.NotFound, report.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, complete.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, gate.StatusCode);
        var stored = await ReadDeployAsync(runtime, cart);
        Assert.Equal("active", stored["state"]!.GetValue<string>());
        Assert.All(stored["steps"]!.AsArray(), s => Assert.Equal("pending", s!["status"]!.GetValue<string>()));
    }

    [SkippableFact]
    public async Task ReaderAndOperatorScopedToCart_CannotReadOrRollBackCheckout()
    {
        var (runtime, receiver, _) = fixture.Require();
        var checkout = await RegisterAsync(runtime, receiver, "checkout", "staging");

        using var read = await SendAsync(runtime, "GET", $"/api/deploys/{checkout}", CartReader);
        using var list = await SendAsync(runtime, "GET", "/api/deploys?state=all", CartReader);
        using var rollback = await SendAsync(runtime, "POST", $"/api/deploys/{checkout}/rollback", CartOncall, new JsonObject { ["reason"] = "not mine" });

        Assert.Equal(HttpStatusCode.NotFound, read.StatusCode);
        Assert.DoesNotContain(checkout, await list.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, rollback.StatusCode);
        Assert.Null((await ReadDeployAsync(runtime, checkout))["rollbackId"]);
    }

    [SkippableFact]
    public async Task ScopedKey_ADeployOrRollbackItCannotProveInScope_AnswersExactlyAsOneThatDoesNotExist()
    {
        var (runtime, receiver, _) = fixture.Require();
        var checkout = await RegisterAsync(runtime, receiver, "checkout", "staging");
        var absent = Repo.UniqueName("scope");
        // A rollback whose deploy record is gone (retention pruned it, or a claim for a deploy never registered).
        var orphan = Identifiers.RollbackIdFor(Repo.UniqueName("gone"));
        Assert.True(await runtime.Services.GetRequiredService<IRollbackStore>().TryClaimAsync(
            new RollbackRecord
            {
                RollbackId = orphan,
                DeployId = Repo.UniqueName("gone"),
                Phase = RollbackPhase.AwaitingApproval,
                Trigger = new RollbackTrigger("manual", "someone", "a claim without its deploy", []),
                ClaimedAt = DateTimeOffset.UtcNow,
                ScheduledAt = DateTimeOffset.UtcNow, // not a lost claim for the sweep to schedule
            },
            default));

        using var outOfScope = await SendAsync(runtime, "GET", $"/api/deploys/{checkout}/plan", CartReader);
        using var missing = await SendAsync(runtime, "GET", $"/api/deploys/{absent}/plan", CartReader);
        using var orphanRead = await SendAsync(runtime, "GET", $"/api/rollbacks/{orphan}", CartReader);
        using var orphanAudit = await SendAsync(runtime, "GET", $"/api/rollbacks/{orphan}/audit", CartReader);
        using var orphanAbort = await SendAsync(runtime, "POST", $"/api/rollbacks/{orphan}/abort", CartOncall, new JsonObject { ["reason"] = "not mine" });
        using var orphanApprove = await SendAsync(runtime, "POST", $"/api/rollbacks/{orphan}/steps/schema/approve", CartOncall, new JsonObject { ["reason"] = "not mine" });
        using var unscoped = await SendAsync(runtime, "GET", $"/api/rollbacks/{orphan}", Reader);

        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, outOfScope.StatusCode);
        Assert.Equal(await ProblemAsync(missing, absent), await ProblemAsync(outOfScope, checkout));
        Assert.DoesNotContain("checkout", await outOfScope.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.All([orphanRead, orphanAudit, orphanAbort, orphanApprove], reply => Assert.Equal(HttpStatusCode.NotFound, reply.StatusCode));
        Assert.Equal(HttpStatusCode.OK, unscoped.StatusCode);
        Assert.Equal(RollbackPhase.AwaitingApproval, (await runtime.Services.GetRequiredService<IRollbackStore>().GetAsync(orphan, default))!.Phase);
    }

    [SkippableFact]
    public async Task Policy_ShowsTheCallingKeysRolesAndScope_AndNoOtherKey()
    {
        var (runtime, _, _) = fixture.Require();

        using var reply = await SendAsync(runtime, "GET", "/api/policy", CartReader);

        var text = await reply.Content.ReadAsStringAsync();
        Assert.True(reply.IsSuccessStatusCode, text);
        var key = JsonNode.Parse(text)!["key"]!;
        Assert.Equal("cartdash", key["name"]!.GetValue<string>());
        Assert.Equal(["reader"], key["roles"]!.AsArray().Select(r => r!.GetValue<string>()));
        Assert.Equal(["cart"], key["services"]!.AsArray().Select(r => r!.GetValue<string>()));
        Assert.Empty(key["environments"]!.AsArray());
        foreach (var other in new[] { "pipeline", "anyci", "dashboard", "cartoncall", "oncall", "cartalerts" })
        {
            Assert.DoesNotContain($"\"{other}\"", text, StringComparison.Ordinal);
        }

        Assert.DoesNotContain(CartReader, text, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Register_WebhookUrlWithATokenInItsQuery_ReadersSeeItsDigestOnly()
    {
        var (runtime, receiver, _) = fixture.Require();
        var id = Repo.UniqueName("url");
        var deploy = Payloads.DiamondDeploy(id, receiver, "checkout", "staging");
        var step = deploy["steps"]![0]!;
        step["params"]!["revertUrl"] = step["params"]!["revertUrl"]!.GetValue<string>() + "?token=hook-secret-42";

        using var registered = await SendAsync(runtime, "POST", "/api/deploys", AnyCi, deploy);
        using var read = await SendAsync(runtime, "GET", $"/api/deploys/{id}", Reader);

        Assert.Equal(HttpStatusCode.Created, registered.StatusCode);
        Assert.DoesNotContain("hook-secret-42", await registered.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.DoesNotContain("hook-secret-42", await read.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Register_DeclaredEnvironmentInAnotherCase_IsStoredAsDeclared()
    {
        var (runtime, receiver, _) = fixture.Require();
        var id = Repo.UniqueName("env");

        using var registered = await SendAsync(runtime, "POST", "/api/deploys", AnyCi, Payloads.DiamondDeploy(id, receiver, "checkout", "STAGING"));

        Assert.True(registered.StatusCode == HttpStatusCode.Created, await registered.Content.ReadAsStringAsync());
        Assert.Equal("staging", (await ReadDeployAsync(runtime, id))["environment"]!.GetValue<string>());
    }

    [SkippableFact]
    public async Task Alert_DeclaredEnvironmentInAnotherCase_MatchesThatEnvironmentsDeploy()
    {
        var (runtime, receiver, _) = fixture.Require();
        var id = await RegisterAsync(runtime, receiver, "cart", "prod");
        using var completed = await SendAsync(runtime, "POST", $"/api/deploys/{id}/complete", AnyCi);
        Assert.Equal(HttpStatusCode.OK, completed.StatusCode);

        using var alert = await SendAsync(runtime, "POST", "/api/alerts/alertmanager", CartAlerts, Payloads.AlertmanagerFiring("cart", "PROD"));

        var text = await alert.Content.ReadAsStringAsync();
        Assert.True(alert.StatusCode == HttpStatusCode.Accepted, $"{(int)alert.StatusCode} {text}");
        // Matched (prod's AutoRollback=false then refuses to act, which the reply says).
        Assert.Contains(JsonNode.Parse(text)!["deploys"]!.AsArray(), d => d!["deployId"]!.GetValue<string>() == id);
    }

    [SkippableTheory]
    [InlineData("production")]
    [InlineData("prod ")]
    public async Task Register_UndeclaredEnvironment_Is422AndStoresNothing(string environment)
    {
        var (runtime, receiver, _) = fixture.Require();
        var id = Repo.UniqueName("env");

        using var refused = await SendAsync(runtime, "POST", "/api/deploys", AnyCi, Payloads.DiamondDeploy(id, receiver, "checkout", environment));

        var text = await refused.Content.ReadAsStringAsync();
        Assert.True(refused.StatusCode == HttpStatusCode.UnprocessableEntity, $"{(int)refused.StatusCode} {text}");
        Assert.Contains("not a declared environment", text, StringComparison.Ordinal);
        await AssertNotStoredAsync(runtime, id);
    }

    [SkippableFact]
    public async Task Alert_ForAnUndeclaredEnvironmentOrOutsideTheKeysScope_IsRefused()
    {
        var (runtime, _, _) = fixture.Require();

        using var undeclared = await SendAsync(runtime, "POST", "/api/alerts/alertmanager", CartAlerts, Payloads.AlertmanagerFiring("cart", "production"));
        using var otherService = await SendAsync(runtime, "POST", "/api/alerts/alertmanager", CartAlerts, Payloads.AlertmanagerFiring("checkout", "prod"));
        using var own = await SendAsync(runtime, "POST", "/api/alerts/alertmanager", CartAlerts, Payloads.AlertmanagerFiring("cart", "prod"));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, undeclared.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, otherService.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, own.StatusCode);
    }

    [SkippableFact]
    public async Task Register_DatabaseNotServingTheEnvironment_Is422NamingTheStep()
    {
        var (runtime, receiver, _) = fixture.Require();
        var id = Repo.UniqueName("db");
        var deploy = Payloads.DiamondDeploy(id, receiver, "checkout", "staging");
        deploy["steps"]!.AsArray().Add(new JsonObject
        {
            ["id"] = "drop-everything",
            ["kind"] = "sqlMigration",
            ["params"] = new JsonObject { ["database"] = "orders", ["migration"] = "42", ["down"] = "DROP TABLE orders;" },
        });

        using var refused = await SendAsync(runtime, "POST", "/api/deploys", AnyCi, deploy);

        var text = await refused.Content.ReadAsStringAsync();
        Assert.True(refused.StatusCode == HttpStatusCode.UnprocessableEntity, $"{(int)refused.StatusCode} {text}");
        Assert.Contains("step 'drop-everything': database orders does not serve environment 'staging'", text, StringComparison.Ordinal);
        await AssertNotStoredAsync(runtime, id);
    }

    [SkippableFact]
    public async Task Register_ClusterNotServingTheEnvironment_Is422NamingTheStep_AndOneThatServesItIsCaptured()
    {
        var (runtime, _, kubernetes) = fixture.Require();
        kubernetes.SeedWorkload("deployments", "shop", "checkout", 2, "registry/checkout:1.4.1");
        var staging = Rollout(Repo.UniqueName("k8s"), "staging");
        var prod = Rollout(Repo.UniqueName("k8s"), "prod");

        using var refused = await SendAsync(runtime, "POST", "/api/deploys", AnyCi, staging);
        using var captured = await SendAsync(runtime, "POST", "/api/deploys", AnyCi, prod);

        var text = await refused.Content.ReadAsStringAsync();
        Assert.True(refused.StatusCode == HttpStatusCode.UnprocessableEntity, $"{(int)refused.StatusCode} {text}");
        Assert.Contains("step 'rollout': cluster east does not serve environment 'staging'", text, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Created, captured.StatusCode);
        await AssertNotStoredAsync(runtime, (string)staging["deployId"]!);
    }

    [SkippableFact]
    public async Task RegistrationStepReportsAndComplete_AreAuditedWithTheKeyAsActor()
    {
        var (runtime, receiver, _) = fixture.Require();
        var id = Repo.UniqueName("aud");
        using var registered = await SendAsync(runtime, "POST", "/api/deploys", CheckoutCi, Payloads.DiamondDeploy(id, receiver, "checkout", "staging"));
        Assert.Equal(HttpStatusCode.Created, registered.StatusCode);
        using var reported = await SendAsync(runtime, "POST", $"/api/deploys/{id}/steps/schema", CheckoutCi, new JsonObject { ["status"] = "applied" });
        using var completed = await SendAsync(runtime, "POST", $"/api/deploys/{id}/complete", CheckoutCi);
        Assert.Equal(HttpStatusCode.OK, completed.StatusCode);

        using var started = await SendAsync(runtime, "POST", $"/api/deploys/{id}/rollback", Oncall, new JsonObject { ["reason"] = "audit" });
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var rollbackId = Identifiers.RollbackIdFor(id);
        await Eventually.HoldsAsync(
            async () =>
            {
                using var reply = await SendAsync(runtime, "GET", $"/api/rollbacks/{rollbackId}", Reader);
                return reply.IsSuccessStatusCode && JsonNode.Parse(await reply.Content.ReadAsStringAsync())!["phase"]!.GetValue<string>() is "succeeded" or "failed";
            },
            TimeSpan.FromSeconds(60),
            () => $"rollback {rollbackId} did not end");

        using var audit = await SendAsync(runtime, "GET", $"/api/rollbacks/{rollbackId}/audit", Reader);
        var trail = JsonNode.Parse(await audit.Content.ReadAsStringAsync())!;
        var rows = trail["rows"]!.AsArray();
        string? ActorOf(string action) => rows.FirstOrDefault(r => (string?)r!["action"] == action)?["actor"]?.GetValue<string>();
        Assert.Equal("pipeline", ActorOf("deploy.registered"));
        Assert.Equal("pipeline", ActorOf("step.reported"));
        Assert.Equal("pipeline", ActorOf("deploy.completed"));
        Assert.Equal("oncall", ActorOf("rollback.claimed"));
        Assert.True(trail["verified"]!.GetValue<bool>(), trail.ToJsonString());
    }

    [SkippableFact]
    public async Task Start_WithAKeyScopedToAnUndeclaredEnvironment_Refuses()
    {
        var refused = await Assert.ThrowsAnyAsync<Microsoft.Extensions.Options.OptionsValidationException>(async () =>
        {
            await using var runtime = await TestRuntime.StartAsync(
                "Rollback:Policy:Environments:prod:AutoRollback=true",
                "Rollback:Auth:Keys:typo:Secret=" + AnyCi,
                "Rollback:Auth:Keys:typo:Roles:0=ci",
                "Rollback:Auth:Keys:typo:Environments:0=production");
        });

        Assert.Contains(refused.Failures, f => f.Contains("'production' is not declared", StringComparison.Ordinal));
    }

    private static JsonObject Rollout(string id, string environment) => new()
    {
        ["deployId"] = id,
        ["service"] = "checkout",
        ["environment"] = environment,
        ["version"] = "1.4.2",
        ["steps"] = new JsonArray(new JsonObject
        {
            ["id"] = "rollout",
            ["kind"] = "kubernetesDeployment",
            ["params"] = new JsonObject { ["cluster"] = "east", ["namespace"] = "shop", ["name"] = "checkout" },
        }),
    };

    private static async Task<string> RegisterAsync(TestRuntime runtime, LocalReceiver receiver, string service, string environment)
    {
        var id = Repo.UniqueName("scope");
        using var registered = await SendAsync(runtime, "POST", "/api/deploys", AnyCi, Payloads.DiamondDeploy(id, receiver, service, environment));
        Assert.True(registered.StatusCode == HttpStatusCode.Created, await registered.Content.ReadAsStringAsync());
        return id;
    }

    /// <summary>A problem reply without what differs per request (its trace id), the deploy id written as ID.</summary>
    private static async Task<string> ProblemAsync(HttpResponseMessage reply, string id)
    {
        var problem = JsonNode.Parse(await reply.Content.ReadAsStringAsync())!.AsObject();
        problem.Remove("traceId");
        return problem.ToJsonString().Replace(id, "ID", StringComparison.Ordinal);
    }

    private static async Task<JsonObject> ReadDeployAsync(TestRuntime runtime, string id)
    {
        using var reply = await SendAsync(runtime, "GET", $"/api/deploys/{id}", Reader);
        var text = await reply.Content.ReadAsStringAsync();
        Assert.True(reply.IsSuccessStatusCode, text);
        return JsonNode.Parse(text)!.AsObject();
    }

    private static async Task AssertNotStoredAsync(TestRuntime runtime, string id)
    {
        using var read = await SendAsync(runtime, "GET", $"/api/deploys/{id}", Reader);
        Assert.Equal(HttpStatusCode.NotFound, read.StatusCode);
    }

    private static async Task<HttpResponseMessage> SendAsync(TestRuntime runtime, string method, string path, string secret, JsonNode? body = null)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", secret);
        if (method == "POST")
        {
            request.Content = new StringContent(body?.ToJsonString() ?? "{}", Encoding.UTF8, "application/json");
        }

        return await runtime.Http.SendAsync(request);
    }

    /// <summary>
    /// Declared environments prod and staging; cluster <c>east</c> (the fake API server) and database
    /// <c>orders</c> serve prod only; keys scoped by service, one each way.
    /// </summary>
    public sealed class ScopedRuntime : IAsyncLifetime
    {
        private TestRuntime? runtime;
        private LocalReceiver? receiver;
        private FakeKubernetesApi? kubernetes;
        private string? kubeconfig;
        private string? missing;

        internal (TestRuntime Runtime, LocalReceiver Receiver, FakeKubernetesApi Kubernetes) Require()
        {
            RealParts.Require(missing is null, missing ?? "");
            return (runtime!, receiver!, kubernetes!);
        }

        public async Task InitializeAsync()
        {
            receiver = await LocalReceiver.StartAsync();
            kubernetes = await FakeKubernetesApi.StartAsync();
            kubeconfig = kubernetes.WriteKubeconfig(Path.Combine(Path.GetTempPath(), $"kubeconfig-{Guid.NewGuid():N}"));
            try
            {
                runtime = await TestRuntime.StartAsync(
                    "Rollback:Policy:Environments:prod:AutoRollback=false",
                    "Rollback:Policy:Environments:staging:AutoRollback=true",
                    $"Rollback:Executors:Kubernetes:Clusters:east:Kubeconfig={kubeconfig}",
                    "Rollback:Executors:Kubernetes:Clusters:east:Environments:0=prod",
                    "Rollback:Executors:Kubernetes:PollInterval=00:00:00.050",
                    "Rollback:Executors:Sql:Databases:orders:ConnectionString=Host=127.0.0.1;Port=1;Database=orders;Username=owner;Password=never-used",
                    "Rollback:Executors:Sql:Databases:orders:AllowInlineDown=true",
                    "Rollback:Executors:Sql:Databases:orders:Environments:0=prod",
                    "Rollback:Auth:Keys:pipeline:Secret=" + CheckoutCi,
                    "Rollback:Auth:Keys:pipeline:Roles:0=ci",
                    "Rollback:Auth:Keys:pipeline:Services=checkout",
                    "Rollback:Auth:Keys:anyci:Secret=" + AnyCi,
                    "Rollback:Auth:Keys:anyci:Roles:0=ci",
                    "Rollback:Auth:Keys:cartdash:Secret=" + CartReader,
                    "Rollback:Auth:Keys:cartdash:Roles:0=reader",
                    "Rollback:Auth:Keys:cartdash:Services:0=cart",
                    "Rollback:Auth:Keys:dashboard:Secret=" + Reader,
                    "Rollback:Auth:Keys:dashboard:Roles:0=reader",
                    "Rollback:Auth:Keys:cartoncall:Secret=" + CartOncall,
                    "Rollback:Auth:Keys:cartoncall:Roles:0=operator",
                    "Rollback:Auth:Keys:cartoncall:Services:0=cart",
                    "Rollback:Auth:Keys:oncall:Secret=" + Oncall,
                    "Rollback:Auth:Keys:oncall:Roles:0=operator",
                    "Rollback:Auth:Keys:cartalerts:Secret=" + CartAlerts,
                    "Rollback:Auth:Keys:cartalerts:Roles:0=alerts",
                    "Rollback:Auth:Keys:cartalerts:Services:0=cart");
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

            if (receiver is not null)
            {
                await receiver.DisposeAsync();
            }

            if (kubernetes is not null)
            {
                await kubernetes.DisposeAsync();
            }

            if (kubeconfig is not null)
            {
                File.Delete(kubeconfig);
            }
        }
    }
}
