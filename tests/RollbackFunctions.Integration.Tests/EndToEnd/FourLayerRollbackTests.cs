using System.Net;
using System.Text.Json.Nodes;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Testing;

namespace RollbackFunctions.Integration.Tests.EndToEnd;

/// <summary>
/// A deploy that touched four layers, registered over HTTP on the local runtime and rolled back in
/// reverse order by the real executors: a real PostgreSQL for the schema, a terraform stand-in over
/// a real git repository, the fake Kubernetes API server for the rollout, a flag service at the wire.
/// </summary>
public sealed class FourLayerRollbackTests
{
    private const string Up = """
        CREATE TABLE orders (id bigserial PRIMARY KEY, note text, created_at timestamptz NOT NULL DEFAULT now());
        CREATE INDEX orders_created_idx ON orders (created_at);
        """;

    private static readonly string Terraform = """
        case "$1" in
          init) echo "Terraform has been successfully initialized!";;
          plan)
            __SAVE_PLAN__;;
          show) cat "${@: -1}";;
          apply) date +%s%N > "$state/applied-at"; cp "$state/plan-after-apply.json" "$state/plan.json"; cp "$state/live-before.json" "$state/live.json";;
        esac
        """.Replace("__SAVE_PLAN__", TerraformDocuments.SavePlan, StringComparison.Ordinal);

    /// <summary>The real resources, as a refresh reads them: the web app runs <paramref name="image"/>.</summary>
    private static string Live(string image) =>
        TerraformDocuments.Refreshed(("azurerm_linux_web_app.checkout", new JsonObject { ["name"] = "checkout", ["image"] = image }));

    [SkippableFact]
    public async Task Rollback_FourLayerDeploy_RevertsFlagThenRolloutThenTerraformThenSchema()
    {
        var database = await SharedPostgres.NewDatabaseAsync();
        await SharedPostgres.ExecuteAsync(database, Up);
        await using var kubernetes = await FakeKubernetesApi.StartAsync();
        var kubeconfig = kubernetes.WriteKubeconfig(Path.Combine(Path.GetTempPath(), $"kubeconfig-{Guid.NewGuid():N}"));
        kubernetes.SeedWorkload("deployments", "shop", "checkout", 3, "registry/checkout:1.4.1");
        await using var flags = await FakeFlagService.StartAsync();
        flags.Flags["new-checkout"] = JsonValue.Create(false);
        using var terraform = StandIn.Create("terraform", Terraform);
        terraform.Write("plan.json", File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "fixtures", "terraform", "plan-update.json")));
        terraform.Write("plan-after-apply.json", File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "fixtures", "terraform", "plan-no-changes.json")));
        terraform.Write("live.json", Live("registry/checkout:1.4.1"));
        terraform.Write("live-before.json", Live("registry/checkout:1.4.1"));
        using var infra = GitRepository.Create();
        var before = infra.Commit("checkout 1.4.1", ("checkout/main.tf", "# 1.4.1\n"));
        infra.Commit("checkout 1.4.2", ("checkout/main.tf", "# 1.4.2\n"));

        await using var runtime = await TestRuntime.StartAsync(
            $"Rollback:Executors:Kubernetes:Clusters:prod:Kubeconfig={kubeconfig}",
            "Rollback:Executors:Kubernetes:PollInterval=00:00:00.050",
            $"Rollback:Executors:Terraform:Path={terraform.Path}",
            $"Rollback:Executors:Terraform:Workspaces:platform={infra.Path}",
            $"Rollback:Executors:Terraform:WorkRoot={Path.Combine(terraform.Folder, "work")}",
            $"Rollback:Executors:Sql:Databases:orders:ConnectionString={database}",
            "Rollback:Executors:Sql:Databases:orders:AllowInlineDown=true",
            $"Rollback:Executors:FeatureFlags:Providers:flags:BaseUrl={flags.BaseUrl}",
            "Rollback:Executors:FeatureFlags:Providers:flags:GetPath=/api/flags/{flag}",
            "Rollback:Executors:FeatureFlags:Providers:flags:SetPath=/api/flags/{flag}",
            $"Rollback:Executors:FeatureFlags:Providers:flags:Headers:Authorization=Bearer {FakeFlagService.Token}");
        var id = $"four-{Guid.NewGuid():N}";

        using var registered = await runtime.PostJsonAsync("/api/deploys", Registration(id, before));
        var deploy = JsonNode.Parse(await registered.Content.ReadAsStringAsync())!;
        Assert.True(registered.StatusCode == HttpStatusCode.Created, deploy.ToJsonString());
        var captured = deploy["steps"]!.AsArray().ToDictionary(s => (string)s!["id"]!, s => s!["captured"]);
        Assert.Equal("1", (string?)captured["rollout"]!["revision"]);
        Assert.Equal(before, (string?)captured["infra"]!["commit"]);
        Assert.False((bool)captured["flag"]!["value"]!);

        // The deploy: each layer changes, CI reports each step.
        await SharedPostgres.ExecuteAsync(database, "ALTER TABLE orders ALTER COLUMN note SET DEFAULT ''");
        kubernetes.SetImage("deployments", "shop", "checkout", "registry/checkout:1.4.2");
        flags.Flags["new-checkout"] = JsonValue.Create(true);
        terraform.Write("live.json", Live("registry/checkout:1.4.2"));
        (await runtime.Http.PostAsync($"/api/deploys/{id}/complete", null)).Dispose();

        (await runtime.PostJsonAsync($"/api/deploys/{id}/rollback", """{"actor":"alice","reason":"checkout errors after 1.4.2"}""")).Dispose();
        var rollback = await runtime.WaitForTerminalRollbackAsync(Identifiers.RollbackIdFor(id), TimeSpan.FromSeconds(90));

        Assert.True((string?)rollback["phase"] == "succeeded", rollback.ToJsonString());
        var steps = rollback["steps"]!.AsArray().ToDictionary(s => (string)s!["stepId"]!, s => s!);
        Assert.Equal(["flag", "rollout", "infra", "schema"], steps.Values.OrderBy(s => (int)s["level"]!).Select(s => (string)s["stepId"]!));
        Assert.All(steps.Values, s => Assert.Equal("reverted", (string?)s["status"]));
        foreach (var (earlier, later) in new[] { ("flag", "rollout"), ("rollout", "infra"), ("infra", "schema") })
        {
            Assert.True(
                DateTimeOffset.Parse((string)steps[earlier]["finishedAt"]!) <= DateTimeOffset.Parse((string)steps[later]["startedAt"]!),
                $"{later} started before {earlier} finished");
        }

        Assert.Contains("back to false", (string?)steps["flag"]["detail"]);
        Assert.Contains("restored revision 1", (string?)steps["rollout"]["detail"]);
        Assert.Contains("applied the plan", (string?)steps["infra"]["detail"]);
        Assert.Contains("ran the down migration", (string?)steps["schema"]["detail"]);
        Assert.False(flags.Flags["new-checkout"]!.GetValue<bool>());
        Assert.Equal("registry/checkout:1.4.1", (string)kubernetes.Deployment("shop", "checkout")!["spec"]!["template"]!["spec"]!["containers"]![0]!["image"]!);
        Assert.True(terraform.Has("applied-at"));
        Assert.Equal(0L, await SharedPostgres.ScalarAsync(database, "SELECT count(*) FROM pg_indexes WHERE indexname = 'orders_created_idx'"));
        var audit = await runtime.GetJsonAsync($"/api/rollbacks/{Identifiers.RollbackIdFor(id)}/audit");
        Assert.True((bool)audit["verified"]!);
        Assert.Contains(audit["rows"]!.AsArray(), r => (string?)r!["action"] == "step.started" && ((string?)r["detail"])!.Contains("returning to what was captured at registration: cluster=\"prod\", revision=\"1\""));
        File.Delete(kubeconfig);
    }

    [SkippableFact]
    public async Task Rollback_DestructiveDownMigration_WaitsInAwaitingApproval_ThenRunsWhenApproved()
    {
        var database = await SharedPostgres.NewDatabaseAsync();
        await SharedPostgres.ExecuteAsync(database, Up + "ALTER TABLE orders ADD COLUMN discount_code text;");
        await using var runtime = await TestRuntime.StartAsync(
            $"Rollback:Executors:Sql:Databases:orders:ConnectionString={database}", "Rollback:Executors:Sql:Databases:orders:AllowInlineDown=true");
        var id = $"drop-{Guid.NewGuid():N}";
        var body = new JsonObject
        {
            ["deployId"] = id, ["service"] = "checkout", ["environment"] = "prod", ["version"] = "1.4.2",
            ["steps"] = new JsonArray(new JsonObject
            {
                ["id"] = "schema", ["kind"] = "sqlMigration",
                ["params"] = new JsonObject { ["database"] = "orders", ["migration"] = "20261127_discount", ["down"] = "ALTER TABLE orders DROP COLUMN discount_code;" },
            }),
        };
        using var registered = await runtime.PostJsonAsync("/api/deploys", body);
        (await runtime.Http.PostAsync($"/api/deploys/{id}/complete", null)).Dispose();
        var rollbackId = Identifiers.RollbackIdFor(id);

        (await runtime.Http.PostAsync($"/api/deploys/{id}/rollback", null)).Dispose();
        var waiting = await Eventually.ReturnsAsync(
            async () => (await runtime.GetJsonAsync($"/api/rollbacks/{rollbackId}")) is var r && (string?)r["phase"] == "awaitingApproval" ? r : null,
            TimeSpan.FromSeconds(30),
            () => "the rollback never waited for approval");
        var columnWhileWaiting = await SharedPostgres.ScalarAsync(database, "SELECT count(*) FROM information_schema.columns WHERE table_name = 'orders' AND column_name = 'discount_code'");
        var digest = (string?)waiting["steps"]![0]!["planDigest"];
        using var unbound = await runtime.PostJsonAsync($"/api/rollbacks/{rollbackId}/steps/schema/approve", """{"actor":"alice","reason":"no digest"}""");
        (await runtime.PostJsonAsync($"/api/rollbacks/{rollbackId}/steps/schema/approve", new JsonObject { ["actor"] = "alice", ["reason"] = "discount codes were empty", ["planDigest"] = digest })).Dispose();
        var rollback = await runtime.WaitForTerminalRollbackAsync(rollbackId, TimeSpan.FromSeconds(60));

        Assert.Equal(HttpStatusCode.Created, registered.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, unbound.StatusCode);
        Assert.Matches("^[0-9a-f]{64}$", digest);
        Assert.Contains("drops column public.orders.discount_code (0 rows have a value)", (string?)waiting["steps"]![0]!["detail"]);
        Assert.Equal(1L, columnWhileWaiting);
        Assert.Equal("succeeded", (string?)rollback["phase"]);
        Assert.Equal(0L, await SharedPostgres.ScalarAsync(database, "SELECT count(*) FROM information_schema.columns WHERE table_name = 'orders' AND column_name = 'discount_code'"));
    }

    [SkippableFact]
    public async Task Register_HostileParams_AreRefusedWith400_AndNothingIsStored()
    {
        await using var runtime = await TestRuntime.StartAsync(
            "Rollback:Executors:Kubernetes:Clusters:prod:Kubeconfig=/nonexistent/kubeconfig");
        var id = $"hostile-{Guid.NewGuid():N}";
        var body = new JsonObject
        {
            ["deployId"] = id, ["service"] = "checkout", ["environment"] = "prod", ["version"] = "1.4.2",
            ["steps"] = new JsonArray(
                new JsonObject { ["id"] = "rollout", ["kind"] = "kubernetesDeployment", ["params"] = new JsonObject { ["namespace"] = "shop; rm -rf /", ["name"] = "checkout" } },
                new JsonObject { ["id"] = "infra", ["kind"] = "terraform", ["params"] = new JsonObject { ["checkout"] = "platform", ["path"] = "../../etc", ["previousRef"] = "--upload-pack=x" } },
                new JsonObject { ["id"] = "schema", ["kind"] = "sqlMigration", ["params"] = new JsonObject { ["database"] = "nope", ["migration"] = "m1", ["down"] = "DROP TABLE x" } }),
        };

        using var reply = await runtime.PostJsonAsync("/api/deploys", body);
        var problem = JsonNode.Parse(await reply.Content.ReadAsStringAsync())!;
        using var stored = await runtime.Http.GetAsync($"/api/deploys/{id}");

        Assert.Equal(HttpStatusCode.BadRequest, reply.StatusCode);
        Assert.Contains("params.namespace", (string?)problem["errors"]!["steps[0].params"]![0]);
        Assert.Contains("params.path", (string?)problem["errors"]!["steps[1].params"]![0]);
        Assert.Contains("params.database 'nope'", (string?)problem["errors"]!["steps[2].params"]![0]);
        Assert.Equal(HttpStatusCode.NotFound, stored.StatusCode);
    }

    [SkippableFact]
    public async Task Register_ClusterUnreachable_Answers503WithRetryAfter_AndStoresNothing()
    {
        await using var kubernetes = await FakeKubernetesApi.StartAsync();
        var kubeconfig = kubernetes.WriteKubeconfig(Path.Combine(Path.GetTempPath(), $"kubeconfig-{Guid.NewGuid():N}"));
        kubernetes.Faults["GET /deployments/checkout"] = new(Enumerable.Repeat(503, 20));
        await using var runtime = await TestRuntime.StartAsync(
            $"Rollback:Executors:Kubernetes:Clusters:prod:Kubeconfig={kubeconfig}",
            "Rollback:Executors:Kubernetes:RetryDelay=00:00:00.010");
        var id = $"unreachable-{Guid.NewGuid():N}";
        var body = new JsonObject
        {
            ["deployId"] = id, ["service"] = "checkout", ["environment"] = "prod", ["version"] = "1.4.2",
            ["steps"] = new JsonArray(new JsonObject { ["id"] = "rollout", ["kind"] = "kubernetesDeployment", ["params"] = new JsonObject { ["namespace"] = "shop", ["name"] = "checkout" } }),
        };

        using var reply = await runtime.PostJsonAsync("/api/deploys", body);
        using var stored = await runtime.Http.GetAsync($"/api/deploys/{id}");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, reply.StatusCode);
        Assert.Equal("5", reply.Headers.RetryAfter?.ToString());
        Assert.Contains("answered 503", await reply.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, stored.StatusCode);
        File.Delete(kubeconfig);
    }

    private static JsonObject Registration(string id, string previousCommit) => new()
    {
        ["deployId"] = id,
        ["service"] = "checkout",
        ["environment"] = "prod",
        ["version"] = "1.4.2",
        ["previousVersion"] = "1.4.1",
        ["steps"] = new JsonArray(
            new JsonObject
            {
                ["id"] = "schema", ["kind"] = "sqlMigration",
                ["params"] = new JsonObject { ["database"] = "orders", ["migration"] = "20261127_note_default", ["down"] = "DROP INDEX orders_created_idx; ALTER TABLE orders ALTER COLUMN note DROP DEFAULT;" },
            },
            new JsonObject
            {
                ["id"] = "infra", ["kind"] = "terraform", ["dependsOn"] = new JsonArray("schema"),
                ["params"] = new JsonObject { ["checkout"] = "platform", ["path"] = "checkout", ["previousRef"] = previousCommit },
            },
            new JsonObject
            {
                ["id"] = "rollout", ["kind"] = "kubernetesDeployment", ["dependsOn"] = new JsonArray("infra"),
                ["params"] = new JsonObject { ["cluster"] = "prod", ["namespace"] = "shop", ["name"] = "checkout" },
            },
            new JsonObject
            {
                ["id"] = "flag", ["kind"] = "featureFlag", ["dependsOn"] = new JsonArray("rollout"),
                ["params"] = new JsonObject { ["provider"] = "flags", ["flag"] = "new-checkout" },
            }),
    };
}
