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
    public async Task Rollback_HoldsArgoCdFirst_RevertsThenAnOperatorResumes()
    {
        await using var kubernetes = await FakeKubernetesApi.StartAsync();
        var kubeconfig = kubernetes.WriteKubeconfig(Path.Combine(Path.GetTempPath(), $"kubeconfig-{Guid.NewGuid():N}"));
        kubernetes.SeedWorkload("deployments", "shop", "payments", 3, "registry/payments:1.4.1");
        kubernetes.SeedCustomObject(ArgoPrefix, "applications", "Application", "argocd", "payments-api", new JsonObject
        {
            ["syncPolicy"] = new JsonObject { ["automated"] = new JsonObject { ["prune"] = true, ["selfHeal"] = true } },
        });
        await using var runtime = await StartAsync(kubeconfig);
        var id = await RegisterAsync(runtime, "payments-api");
        kubernetes.SetImage("deployments", "shop", "payments", "registry/payments:1.4.2");

        (await runtime.Http.PostAsync($"/api/deploys/{id}/rollback", null)).Dispose();
        var rollback = await runtime.WaitForTerminalRollbackAsync(Identifiers.RollbackIdFor(id), TimeSpan.FromSeconds(60));

        Assert.True(rollback["phase"]!.GetValue<string>() == "succeeded", rollback.ToJsonString());
        var writes = kubernetes.Writes.Select(w => w.Path).ToList();
        var hold = writes.FindIndex(p => p.EndsWith("/applications/payments-api", StringComparison.Ordinal));
        var revert = writes.FindIndex(p => p.EndsWith("/deployments/payments", StringComparison.Ordinal));
        Assert.True(hold >= 0 && revert > hold, string.Join("\n", writes));
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
        var id = await RegisterAsync(runtime, "no-such-application");
        kubernetes.SetImage("deployments", "shop", "payments", "registry/payments:1.4.2");

        (await runtime.Http.PostAsync($"/api/deploys/{id}/rollback", null)).Dispose();
        var rollback = await runtime.WaitForTerminalRollbackAsync(Identifiers.RollbackIdFor(id), TimeSpan.FromSeconds(60));

        Assert.Equal("failed", rollback["phase"]!.GetValue<string>());
        var step = rollback["steps"]!.AsArray().Single()!;
        Assert.Equal("blocked", step["status"]!.GetValue<string>());
        Assert.Contains("GitOps hold on cluster prod failed", step["detail"]!.GetValue<string>());
        Assert.DoesNotContain(kubernetes.Writes, w => w.Path.EndsWith("/deployments/payments", StringComparison.Ordinal));
        File.Delete(kubeconfig);
    }

    private static Task<TestRuntime> StartAsync(string kubeconfig) => TestRuntime.StartAsync(
        $"Rollback:Executors:Kubernetes:Clusters:prod:Kubeconfig={kubeconfig}",
        "Rollback:Executors:Kubernetes:PollInterval=00:00:00.050");

    private static async Task<string> RegisterAsync(TestRuntime runtime, string application)
    {
        var id = Repo.UniqueName("gitops");
        var body = new JsonObject
        {
            ["deployId"] = id, ["service"] = "payments", ["environment"] = "prod", ["version"] = "1.4.2",
            ["gitops"] = new JsonArray(new JsonObject { ["controller"] = "argocd", ["cluster"] = "prod", ["namespace"] = "argocd", ["name"] = application }),
            ["steps"] = new JsonArray(new JsonObject { ["id"] = "rollout", ["kind"] = "kubernetesDeployment", ["params"] = new JsonObject { ["cluster"] = "prod", ["namespace"] = "shop", ["name"] = "payments" } }),
        };
        using var registered = await runtime.PostJsonAsync("/api/deploys", body);
        Assert.True(registered.IsSuccessStatusCode, await registered.Content.ReadAsStringAsync());
        (await runtime.Http.PostAsync($"/api/deploys/{id}/complete", null)).Dispose();
        return id;
    }
}
