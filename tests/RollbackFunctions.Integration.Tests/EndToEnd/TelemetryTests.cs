using System.Collections.Concurrent;
using System.Diagnostics;
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
