using System.Text.Json.Nodes;
using RollbackFunctions.Core.Deploys;

namespace RollbackFunctions.Integration.Tests.EndToEnd;

/// <summary>
/// A deploy managed by Argo CD, on the local runtime with the fake Kubernetes API server: the
/// Application is held before the first revert, the hold is in the status reply, and an operator's
/// resume restores the sync policy; a hold that fails keeps that cluster's steps unreverted.
/// </summary>
public sealed class GitOpsRollbackTests
{
    private const string ArgoPrefix = "/apis/argoproj.io/v1alpha1";

    [SkippableFact]
    public async Task Rollback_HoldsArgoCdFirst_RevertsInOrder_OpensThePullRequest_ThenAnOperatorResumes()
    {
        await using var kubernetes = await FakeKubernetesApi.StartAsync();
        var kubeconfig = kubernetes.WriteKubeconfig(Path.Combine(Path.GetTempPath(), $"kubeconfig-{Guid.NewGuid():N}"));
        kubernetes.SeedWorkload("deployments", "shop", "payments", 3, "registry/payments:1.4.1");
        using var config = GitRepository.Create();
        config.Commit("payments 1.4.1", ("payments/deployment.yaml", "image: registry/payments:1.4.1\n"));
        var previous = config.Git("rev-parse", "HEAD").Trim();
        kubernetes.SeedApplication("argocd", "payments-api", previous);
        await using var github = await StubServer.StartAsync(request => request.Method == "GET"
            ? new StubReply(200, "[]")
            : new StubReply(201, """{"number": 12, "html_url": "https://github.com/acme/deploy-config/pull/12"}"""));
        await using var runtime = await StartAsync(
            kubeconfig,
            $"Rollback:Executors:Git:Repositories:config:Url={config.Path}",
            $"Rollback:Executors:Git:Repositories:config:ApiUrl={github.BaseUrl}");

        // CI's deploy: the commit, Argo CD syncing it, the workload rolling out.
        var deployCommit = config.Commit("payments 1.4.2", ("payments/deployment.yaml", "image: registry/payments:1.4.2\n"));
        var id = await RegisterAsync(runtime, "payments-api", new JsonArray(
            new JsonObject { ["id"] = "commit", ["kind"] = "gitRevert", ["params"] = new JsonObject { ["repository"] = "config", ["commit"] = deployCommit, ["branch"] = "main" } },
            new JsonObject { ["id"] = "sync", ["kind"] = "argocdApplication", ["dependsOn"] = new JsonArray("commit"), ["params"] = new JsonObject { ["cluster"] = "prod", ["namespace"] = "argocd", ["name"] = "payments-api" } },
            Rollout("sync")), apply: () =>
            {
                kubernetes.SetApplicationRevision("argocd", "payments-api", deployCommit);
                kubernetes.SetImage("deployments", "shop", "payments", "registry/payments:1.4.2");
            });

        (await runtime.Http.PostAsync($"/api/deploys/{id}/rollback", null)).Dispose();
        var rollback = await runtime.WaitForTerminalRollbackAsync(Identifiers.RollbackIdFor(id), TimeSpan.FromSeconds(60));

        Assert.True(rollback["phase"]!.GetValue<string>() == "succeeded", rollback.ToJsonString());
        var writes = kubernetes.Writes.ToList();
        var hold = writes.FindIndex(w => w.Path.EndsWith("/applications/payments-api", StringComparison.Ordinal) && w.Body.Contains("rollbackfunctions.io/held", StringComparison.Ordinal));
        var revert = writes.FindIndex(w => w.Path.EndsWith("/deployments/payments", StringComparison.Ordinal));
        var sync = writes.FindIndex(w => w.Body.Contains("\"operation\"", StringComparison.Ordinal));
        Assert.True(hold >= 0 && hold < revert && revert < sync, string.Join("\n", writes.Select(w => w.Path)));
        Assert.Equal(previous, (string?)kubernetes.Get(ArgoPrefix, "argocd", "applications", "payments-api")!["status"]!["sync"]!["revision"]);
        var steps = rollback["steps"]!.AsArray().ToDictionary(s => s!["stepId"]!.GetValue<string>(), s => s!);
        Assert.Contains("https://github.com/acme/deploy-config/pull/12", steps["commit"]!["detail"]!.GetValue<string>());
        Assert.Single(github.Requests, r => r.Method == "POST");
        Assert.Contains(rollback["timeline"]!.AsArray(), t => t!["note"]?.GetValue<string>().Contains("auto-sync of Argo CD Application argocd/payments-api on prod held", StringComparison.Ordinal) == true);
        Assert.Null(kubernetes.Get(ArgoPrefix, "argocd", "applications", "payments-api")!["spec"]!["syncPolicy"]!["automated"]);

        using var resumed = await runtime.PostJsonAsync($"/api/rollbacks/{Identifiers.RollbackIdFor(id)}/gitops/resume", """{"actor":"alice"}""");
        Assert.True(resumed.IsSuccessStatusCode, await resumed.Content.ReadAsStringAsync());
        Assert.True(kubernetes.Get(ArgoPrefix, "argocd", "applications", "payments-api")!["spec"]!["syncPolicy"]!["automated"]!["selfHeal"]!.GetValue<bool>());
        var audit = (await runtime.GetJsonAsync($"/api/rollbacks/{Identifiers.RollbackIdFor(id)}/audit"))["rows"]!.AsArray();
        Assert.Contains(audit, r => r!["action"]!.GetValue<string>() == "gitops.held");
        Assert.Contains(audit, r => r!["action"]!.GetValue<string>() == "gitops.resumed" && r["actor"]!.GetValue<string>() == "alice");
        File.Delete(kubeconfig);
    }

    [SkippableFact]
    public async Task Rollback_HoldFails_TheClustersStepsAreNotReverted_AndTheRollbackEscalates()
    {
        await using var kubernetes = await FakeKubernetesApi.StartAsync();
        var kubeconfig = kubernetes.WriteKubeconfig(Path.Combine(Path.GetTempPath(), $"kubeconfig-{Guid.NewGuid():N}"));
        kubernetes.SeedWorkload("deployments", "shop", "payments", 3, "registry/payments:1.4.1");
        await using var runtime = await StartAsync(kubeconfig);
        using var elsewhere = await runtime.PostJsonAsync("/api/deploys", new JsonObject
        {
            ["deployId"] = Repo.UniqueName("gitops"), ["service"] = "payments", ["environment"] = "prod", ["version"] = "1.4.2",
            ["gitops"] = new JsonArray(new JsonObject { ["controller"] = "argocd", ["cluster"] = "mgmt", ["namespace"] = "argocd", ["name"] = "payments-api", ["manages"] = new JsonArray("prod") }),
            ["steps"] = new JsonArray(Rollout()),
        });
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, elsewhere.StatusCode);
        Assert.Contains("gitops[0].cluster", await elsewhere.Content.ReadAsStringAsync());
        var id = await RegisterAsync(runtime, "no-such-application", new JsonArray(Rollout()), apply: () => kubernetes.SetImage("deployments", "shop", "payments", "registry/payments:1.4.2"));

        (await runtime.Http.PostAsync($"/api/deploys/{id}/rollback", null)).Dispose();
        var rollback = await runtime.WaitForTerminalRollbackAsync(Identifiers.RollbackIdFor(id), TimeSpan.FromSeconds(60));

        Assert.Equal("failed", rollback["phase"]!.GetValue<string>());
        var step = rollback["steps"]!.AsArray().Single()!;
        Assert.Equal("blocked", step["status"]!.GetValue<string>());
        Assert.Contains("GitOps hold on cluster prod failed", step["detail"]!.GetValue<string>());
        Assert.DoesNotContain(kubernetes.Writes, w => w.Path.EndsWith("/deployments/payments", StringComparison.Ordinal));
        File.Delete(kubeconfig);
    }

    private static Task<TestRuntime> StartAsync(string kubeconfig, params string[] settings) => TestRuntime.StartAsync(
        [$"Rollback:Executors:Kubernetes:Clusters:prod:Kubeconfig={kubeconfig}", "Rollback:Executors:Kubernetes:PollInterval=00:00:00.050", .. settings]);

    private static JsonObject Rollout(params string[] dependsOn) => new()
    {
        ["id"] = "rollout", ["kind"] = "kubernetesDeployment", ["dependsOn"] = new JsonArray(dependsOn.Select(d => (JsonNode)d).ToArray()),
        ["params"] = new JsonObject { ["cluster"] = "prod", ["namespace"] = "shop", ["name"] = "payments" },
    };

    /// <summary>Registers, lets CI <paramref name="apply"/> the deploy, then completes it (completion reads what each step made).</summary>
    private static async Task<string> RegisterAsync(TestRuntime runtime, string application, JsonArray steps, Action apply)
    {
        var id = Repo.UniqueName("gitops");
        var body = new JsonObject
        {
            ["deployId"] = id, ["service"] = "payments", ["environment"] = "prod", ["version"] = "1.4.2",
            ["gitops"] = new JsonArray(new JsonObject { ["controller"] = "argocd", ["cluster"] = "prod", ["namespace"] = "argocd", ["name"] = application }),
            ["steps"] = steps,
        };
        using var registered = await runtime.PostJsonAsync("/api/deploys", body);
        Assert.True(registered.IsSuccessStatusCode, await registered.Content.ReadAsStringAsync());
        apply();
        (await runtime.Http.PostAsync($"/api/deploys/{id}/complete", null)).Dispose();
        return id;
    }
}
