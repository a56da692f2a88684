using System.Diagnostics;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using RollbackFunctions.Core.Executors;
using RollbackFunctions.Infrastructure.Executors.Kubernetes;

namespace RollbackFunctions.Infrastructure.Tests.Executors;

/// <summary>
/// Two checks with real Kubernetes software. First, that the fake API server is realistic enough for
/// kubectl itself: <c>kubectl rollout undo</c> against it restores the previous ReplicaSet's template
/// (skipped where kubectl is not installed). Second, the executor against a real cluster: only when
/// <c>ROLLBACK_TEST_KUBECONFIG</c> and <c>ROLLBACK_TEST_DEPLOYMENT</c> (namespace/name) are set, and
/// only reads and a revert to the state it just read (no change); skipped otherwise, in CI too,
/// since no cluster can run on these machines.
/// </summary>
public sealed class RealKubernetesClientTests
{
    private static string? Kubectl => new[] { "/usr/bin/kubectl", "/usr/local/bin/kubectl" }.FirstOrDefault(File.Exists);

    [SkippableFact]
    public async Task Kubectl_RolloutUndo_AgainstTheFake_RestoresThePreviousRevision()
    {
        Skip.If(Kubectl is null, "kubectl is not installed here; the fake API server is then checked by KubernetesClient only");
        await using var fake = await FakeKubernetesApi.StartAsync();
        fake.SeedWorkload("deployments", "shop", "checkout", 3, "registry/checkout:1.4.1", "registry/checkout:1.4.2");
        var folder = Directory.CreateTempSubdirectory("kubectl-");
        var kubeconfig = fake.WriteKubeconfig(Path.Combine(folder.FullName, "kubeconfig"));

        var (exit, output) = await RunAsync(Kubectl!, "--kubeconfig", kubeconfig, "--cache-dir", Path.Combine(folder.FullName, "cache"), "rollout", "undo", "deployment/checkout", "-n", "shop");
        folder.Delete(recursive: true);

        Assert.True(exit == 0, output);
        Assert.Contains("rolled back", output);
        Assert.Equal("registry/checkout:1.4.1", (string)fake.Deployment("shop", "checkout")!["spec"]!["template"]!["spec"]!["containers"]![0]!["image"]!);
        var patch = Assert.Single(fake.Writes);
        Assert.StartsWith("application/json-patch+json", patch.ContentType); // the same kind of patch the executor sends
    }

    [SkippableFact]
    public async Task Executor_AgainstARealCluster_CapturesAndRevertsWithoutChange()
    {
        var kubeconfig = Environment.GetEnvironmentVariable("ROLLBACK_TEST_KUBECONFIG");
        var deployment = Environment.GetEnvironmentVariable("ROLLBACK_TEST_DEPLOYMENT")?.Split('/');
        Skip.If(kubeconfig is null || deployment is not { Length: 2 }, "set ROLLBACK_TEST_KUBECONFIG and ROLLBACK_TEST_DEPLOYMENT=namespace/name to run against a real cluster");
        var clusters = new KubernetesClusters(Options.Create(new KubernetesOptions
        {
            Clusters = { ["real"] = new KubernetesClusterOptions { Kubeconfig = kubeconfig } },
        }));
        var api = new KubernetesApi(clusters, Options.Create(clusters.Options));
        var executor = new KubernetesWorkloadExecutor(clusters, api, TimeProvider.System);
        var parameters = new JsonObject { ["namespace"] = deployment![0], ["name"] = deployment[1] };

        var prepared = await executor.PrepareAsync(new StepPrepareRequest("d1", "rollout", "kubernetesDeployment", parameters), default);
        var result = await executor.RevertAsync(new StepRevertRequest("rb-real", "d1", "rollout", "kubernetesDeployment", parameters, "x", "y") { Captured = prepared.Captured, WaitLimit = TimeSpan.FromMinutes(2) }, default);

        Assert.True(prepared.Problem is null, prepared.Problem);
        Assert.Equal(RevertOutcome.Reverted, result.Outcome);
        Assert.Contains("already at revision", result.Detail);
    }

    private static async Task<(int Exit, string Output)> RunAsync(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, output);
    }
}
