using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Integration.Tests.Api;

namespace RollbackFunctions.Integration.Tests.EndToEnd;

/// <summary>
/// The product's telemetry as configured in the product (not by the test): with an OTLP endpoint
/// set, a rollback is one trace from the alert webhook through the orchestration, its activities
/// and the revert calls, and the spans are exported.
/// </summary>
public sealed class TraceTests
{
    [SkippableFact]
    public async Task Rollback_IsOneTrace_FromTheWebhookThroughTheOrchestrationToTheRevertCall()
    {
        // Observes what the runtime's own tracer provider records; it never asks for spans itself.
        var spans = new ConcurrentBag<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = _ => true,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.None,
            ActivityStopped = span =>
            {
                if (span.Recorded)
                {
                    spans.Add(span);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        await using var receiver = await LocalReceiver.StartAsync();
        await using var collector = await LocalReceiver.StartAsync(); // stands in for an OTLP/HTTP collector
        await using var runtime = await TestRuntime.StartAsync($"OTEL_EXPORTER_OTLP_ENDPOINT={collector.BaseUrl}", "OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf");
        var id = $"traced-{Guid.NewGuid():N}";
        var deploy = Payloads.DiamondDeploy(id, receiver, service: "traced");
        await AlertIntakeApiTests.RegisterCompletedAsync(runtime, deploy);
        var firing = Payloads.AlertmanagerFiring("traced", "prod");
        (await runtime.PostJsonAsync("/api/alerts/alertmanager", firing)).Dispose();
        await receiver.WaitForAsync(r => r.Count == 4, TimeSpan.FromSeconds(60), "four reverts");
        (await runtime.PostJsonAsync("/api/alerts/alertmanager", Payloads.Resolved(firing))).Dispose();
        var rollbackId = Identifiers.RollbackIdFor(id);
        await runtime.WaitForTerminalRollbackAsync(rollbackId, TimeSpan.FromSeconds(60));

        var durable = await Eventually.ReturnsAsync(
            () => Task.FromResult(spans.Where(s => (string?)s.GetTagItem("durabletask.task.instance_id") == rollbackId).ToList() is { } mine
                && mine.Count(s => s.OperationName == "activity:RevertStepActivity" && s.Kind == ActivityKind.Server) == 4
                && mine.Any(s => s.OperationName.StartsWith("orchestration:", StringComparison.Ordinal)) ? mine : null),
            TimeSpan.FromSeconds(20),
            () => $"no orchestration span and four revert spans for {rollbackId}; saw {string.Join(", ", spans.Select(s => s.OperationName).Distinct().Take(20))}");
        var trace = Assert.Single(durable.Select(s => s.TraceId).Distinct());
        var inTrace = spans.Where(s => s.TraceId == trace).ToList();
        var described = string.Join("\n", inTrace.Select(s => $"{s.Source.Name} {s.Kind} {s.OperationName} '{s.DisplayName}' {s.GetTagItem("url.path")}"));
        Assert.True(inTrace.Any(s => s.Source.Name == "Microsoft.AspNetCore" && (string?)s.GetTagItem("url.path") == "/api/alerts/alertmanager"), described);
        Assert.True(inTrace.Count(s => s.Kind == ActivityKind.Client && ((string?)s.GetTagItem("url.full"))?.StartsWith(receiver.BaseUrl, StringComparison.Ordinal) == true) == 4, described);
        // The spans leave over OTLP (the batch goes out every 5 s).
        await collector.WaitForAsync(r => r.Any(x => x.Path == "v1/traces"), TimeSpan.FromSeconds(30), "spans exported over OTLP");
        // The local engine's own plumbing (the gRPC sidecar) stays out of the trace.
        Assert.DoesNotContain(inTrace, s => ((string?)s.GetTagItem("url.path"))?.StartsWith("/TaskHubSidecarService", StringComparison.Ordinal) == true);
    }
}

/// <summary>The local runtime's Prometheus endpoint, scraped from a runtime process of the test's own.</summary>
public sealed class MetricsTests
{
    [SkippableFact]
    public async Task Metrics_CountAlertsAndRollbacks_AndTimeThem()
    {
        var connection = await SharedAzurite.ConnectionStringAsync();
        await using var receiver = await LocalReceiver.StartAsync();
        await using var runtime = await RuntimeProcess.StartAsync(
        [
            $"Rollback:Storage:ConnectionString={connection}",
            $"Rollback:Storage:TablePrefix={Repo.UniqueName("m")}",
            $"Rollback:Durable:TaskHub={Repo.UniqueName("hub")}",
            "Rollback:Durable:PartitionCount=1", // as for the in-process runtimes (TestRuntime)
            "Rollback:Executors:Webhook:AllowedHosts:0=127.0.0.1",
            "Rollback:Orchestration:VerifyInterval=00:00:00.500",
        ]);
        using var http = new HttpClient { BaseAddress = new Uri(runtime.BaseUrl) };
        var id = $"metered-{Guid.NewGuid():N}";
        var deploy = Payloads.DiamondDeploy(id, receiver, service: "metered");
        await PostAsync(http, "/api/deploys", deploy.ToJsonString());
        await PostAsync(http, $"/api/deploys/{id}/complete", "{}");
        var firing = Payloads.AlertmanagerFiring("metered", "prod"); // two alerts, both matched
        await PostAsync(http, "/api/alerts/alertmanager", firing.ToJsonString());
        await PostAsync(http, "/api/alerts/alertmanager", Payloads.AlertmanagerFiring("nobody-deployed-this", "prod").ToJsonString());
        await receiver.WaitForAsync(r => r.Count == 4, TimeSpan.FromSeconds(60), "four reverts");
        await PostAsync(http, "/api/alerts/alertmanager", Payloads.Resolved(firing).ToJsonString());
        await Eventually.HoldsAsync(
            async () => (await http.GetStringAsync($"/api/rollbacks/{Identifiers.RollbackIdFor(id)}")).Contains("\"phase\":\"succeeded\"", StringComparison.Ordinal),
            TimeSpan.FromSeconds(60), () => "the rollback did not succeed");

        var metrics = await Eventually.ReturnsAsync(
            async () => await http.GetStringAsync("/metrics") is var text && text.Contains("rollback_rollbacks_total", StringComparison.Ordinal) ? text : null,
            TimeSpan.FromSeconds(20), () => "no rollback counted on /metrics");

        Assert.Equal(6, Value(metrics, "rollback_alerts_received_total", "source=\"alertmanager\""));
        Assert.Equal(4, Value(metrics, "rollback_alerts_matched_total", "source=\"alertmanager\""));
        Assert.Equal(2, Value(metrics, "rollback_alerts_unmatched_total", "source=\"alertmanager\""));
        Assert.Equal(1, Value(metrics, "rollback_rollbacks_total", "outcome=\"succeeded\""));
        Assert.Equal(1, Value(metrics, "rollback_alert_to_first_revert_seconds_count", "trigger=\"alert\""));
        Assert.Equal(1, Value(metrics, "rollback_duration_seconds_count", "outcome=\"succeeded\""));
        Assert.Contains("rollback_alert_to_first_revert_seconds_bucket{", metrics);
    }

    /// <summary>The value of the one sample of <paramref name="name"/> whose labels contain <paramref name="label"/>.</summary>
    private static double Value(string metrics, string name, string label)
    {
        var samples = metrics.Split('\n').Where(l => l.StartsWith(name + "{", StringComparison.Ordinal) && l.Contains(label, StringComparison.Ordinal)).ToList();
        Assert.True(samples.Count == 1, $"expected one {name} with {label}:\n{metrics}");
        return double.Parse(Regex.Match(samples[0], @"\}\s+(\S+)").Groups[1].Value, CultureInfo.InvariantCulture);
    }

    private static async Task PostAsync(HttpClient http, string path, string json)
    {
        using var reply = await http.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));
        Assert.True(reply.IsSuccessStatusCode, $"POST {path}: {(int)reply.StatusCode} {await reply.Content.ReadAsStringAsync()}");
    }
}
