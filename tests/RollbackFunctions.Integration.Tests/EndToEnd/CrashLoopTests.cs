using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using RollbackFunctions.Core.Deploys;
using Xunit.Abstractions;

namespace RollbackFunctions.Integration.Tests.EndToEnd;

/// <summary>
/// A rollback in progress survives the death of the process running it, again and again: the
/// runtime is killed (SIGKILL) in the middle of a slow revert twice in a row, and each time a
/// new process on the same storage and task hub resumes it. Nothing is skipped, and a revert is
/// sent again only when the process died while sending it, always with the same Idempotency-Key.
/// Two crashes show "again and again": the second restart resumes from what the first restart
/// left, itself resumed from the first process (a third adds a process start, not a property); the
/// benchmark program's crash mode repeats it for figures.
/// A deploy's watcher survives the same crashes: watching (against a real Prometheus) before the
/// first, it is resumed by the last process from storage and acts on a breach that comes after.
/// Both ride on the same processes, whose starts are most of what the test costs.
/// </summary>
[StartsFirst]
public sealed class CrashLoopTests(ITestOutputHelper output)
{
    private const int Crashes = 2;

    [SkippableFact]
    public async Task RuntimeKilledTwiceMidRollback_EachRestartResumesIt_AndItFinishes()
    {
        var connection = await SharedAzurite.ConnectionStringAsync();
        await using var prometheus = await PrometheusProcess.StartAsync(initialErrorRatio: 0.0, service: "resumed");
        await using var receiver = await LocalReceiver.StartAsync();
        await using var watchedReceiver = await LocalReceiver.StartAsync();
        // A chain: each step reverts only after the one above it, so every crash interrupts a different revert.
        var steps = Enumerable.Range(1, Crashes).Select(i => $"s{i:D2}").ToList();
        foreach (var step in steps)
        {
            receiver.Delays[step] = TimeSpan.FromSeconds(1);
        }

        string[] settings =
        [
            $"Rollback:Storage:ConnectionString={connection}",
            $"Rollback:Storage:TablePrefix={Repo.UniqueName("c")}",
            $"Rollback:Durable:TaskHub={Repo.UniqueName("hub")}",
            // Short, so the restarts fit in a test; the default (10 s) is what the benchmark measures.
            "Rollback:Durable:VisibilityTimeout=00:00:02",
            "Rollback:Executors:Webhook:AllowedHosts:0=127.0.0.1",
            "Rollback:Orchestration:VerifyInterval=00:00:00.500",
            $"Rollback:Prometheus:BaseUrl={prometheus.BaseUrl}",
            "Logging:LogLevel:Default=Warning",
        ];
        var id = $"crash-{Guid.NewGuid():N}"[..24];
        await prometheus.WaitForValueAsync(0.0, TimeSpan.FromSeconds(30));
        var runtime = await RuntimeProcess.StartAsync(settings);
        using var http = new HttpClient();
        var watchedId = await StartWatchingAsync(http, runtime, watchedReceiver);
        var deploy = new JsonObject
        {
            ["deployId"] = id,
            ["service"] = "crash-loop",
            ["environment"] = "prod",
            ["version"] = "2",
            ["steps"] = new JsonArray(steps.Select((step, i) => (JsonNode)Payloads.Step(step, receiver, i == 0 ? [] : [steps[i - 1]])).ToArray()),
        };
        await PostAsync(http, $"{runtime.BaseUrl}/api/deploys", deploy.ToJsonString());
        await PostAsync(http, $"{runtime.BaseUrl}/api/deploys/{id}/complete", "{}");
        var firing = Payloads.AlertmanagerFiring("crash-loop", "prod");
        await PostAsync(http, $"{runtime.BaseUrl}/api/alerts/alertmanager", firing.ToJsonString());

        try
        {
            // The last step applied is reverted first.
            foreach (var step in Enumerable.Reverse(steps))
            {
                await receiver.WaitForAsync(r => r.Any(x => x.Path == step), TimeSpan.FromSeconds(60), $"the revert of {step} to start");
                runtime.Crash();
                var crashed = Stopwatch.StartNew();
                await runtime.DisposeAsync();
                var before = receiver.Received.Count;
                runtime = await RuntimeProcess.StartAsync(settings);
                // Resumed: the interrupted revert is sent again (or, had it finished, the next one is).
                await receiver.WaitForAsync(r => r.Count > before, TimeSpan.FromSeconds(60), $"the rollback to resume after crashing during {step}");
                output.WriteLine($"crash during {step}: resumed {crashed.Elapsed.TotalSeconds:0.0} s after the kill");
            }

            await PostAsync(http, $"{runtime.BaseUrl}/api/alerts/alertmanager", Payloads.Resolved(firing).ToJsonString());
            var rollback = await WaitForTerminalAsync(http, runtime, Identifiers.RollbackIdFor(id), TimeSpan.FromMinutes(2));
            Assert.Equal("succeeded", rollback["phase"]!.GetValue<string>());

            // The watcher, last run by the first process, breaches on the last one.
            prometheus.ErrorRatio = 0.4;
            await watchedReceiver.WaitForAsync(r => r.Any(x => x.Path == "rollout"), TimeSpan.FromMinutes(2), "the revert started by the resumed watcher");
            var watched = await http.GetFromJsonAsync<JsonObject>($"{runtime.BaseUrl}/api/rollbacks/{Identifiers.RollbackIdFor(watchedId)}");
            Assert.Equal("watcher", (string?)watched!["trigger"]!["kind"]);
        }
        finally
        {
            await runtime.DisposeAsync();
        }

        var received = receiver.Received.ToList();
        var succeeded = receiver.Succeeded.ToList();
        // Nothing skipped, in reverse order of application.
        Assert.Equal(Enumerable.Reverse(steps), succeeded.Select(r => r.Path).Distinct());
        foreach (var step in steps)
        {
            var calls = received.Where(r => r.Path == step).ToList();
            // One key per step, so the target applies it once however often it is sent.
            Assert.Single(calls.Select(c => c.IdempotencyKey).Distinct());
            // Sent again only because the process died while sending it: once, at most twice if a crash hit the retry.
            Assert.InRange(calls.Count, 1, 2);
        }

        Assert.InRange(received.Count, Crashes, Crashes * 2);
    }

    /// <summary>Registers and completes a deploy watched every 2 s on the test's gauge, and waits until its watcher sampled.</summary>
    private static async Task<string> StartWatchingAsync(HttpClient http, RuntimeProcess runtime, LocalReceiver receiver)
    {
        var id = $"resumed-{Guid.NewGuid():N}"[..30];
        var deploy = Payloads.DiamondDeploy(id, receiver, "resumed");
        deploy["steps"] = new JsonArray(Payloads.Step("rollout", receiver));
        deploy["conditions"] = new JsonObject
        {
            ["checks"] = new JsonArray(new JsonObject { ["name"] = "errors", ["query"] = "max(checkout_error_ratio{service=\"resumed\"})", ["unhealthyAbove"] = 0.05, ["failureLimit"] = 1 }),
            ["watchInterval"] = "00:00:02",
        };
        await PostAsync(http, $"{runtime.BaseUrl}/api/deploys", deploy.ToJsonString());
        await PostAsync(http, $"{runtime.BaseUrl}/api/deploys/{id}/complete", "{}");
        await Eventually.HoldsAsync(
            async () => (await http.GetFromJsonAsync<JsonObject>($"{runtime.BaseUrl}/api/deploys/{id}"))!["watch"]?["state"]?.GetValue<string>() == "watching",
            TimeSpan.FromSeconds(30), () => $"the watcher never sampled\n{runtime.Output}");
        return id;
    }

    private static async Task PostAsync(HttpClient http, string url, string json)
    {
        using var response = await http.PostAsync(url, new StringContent(json, Encoding.UTF8, "application/json"));
        Assert.True(response.IsSuccessStatusCode, $"POST {url}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    private static async Task<JsonObject> WaitForTerminalAsync(HttpClient http, RuntimeProcess runtime, string rollbackId, TimeSpan timeout)
    {
        var phase = "";
        return await Eventually.ReturnsAsync(
            async () =>
            {
                var rollback = await http.GetFromJsonAsync<JsonObject>($"{runtime.BaseUrl}/api/rollbacks/{rollbackId}");
                phase = rollback!["phase"]!.GetValue<string>();
                return phase is "succeeded" or "failed" ? rollback : null;
            },
            timeout,
            () => $"rollback did not finish; phase {phase}\n{runtime.Output}",
            TimeSpan.FromMilliseconds(500));
    }
}
