using System.Net;
using System.Text.Json.Nodes;
using RollbackFunctions.Core.Deploys;
using RollbackFunctions.Integration.Tests.EndToEnd;

namespace RollbackFunctions.Integration.Tests.Api;

/// <summary>
/// The impact figures end to end: rollbacks of three kinds on one runtime (the watcher on a real
/// Prometheus, an Alertmanager alert, an operator's request with a step left to a human), read back
/// from <c>GET /api/insights</c>, drawn by the ops page's Impact view in headless Chromium under its
/// content security policy, and exported on <c>/metrics</c> per environment. The environment is
/// the test's own: every runtime in this process feeds the same meter, and only this one has it.
/// </summary>
public sealed class ImpactViewTests
{
    private const string Environment = "impact";

    [SkippableFact]
    public async Task RollbacksOfThreeKinds_ShowTheirFiguresInTheApiTheImpactViewAndMetrics()
    {
        await using var prometheus = await PrometheusProcess.StartAsync(initialErrorRatio: 0.0, service: "impact-w");
        await using var browser = await HeadlessChromium.StartAsync();
        await using var receiver = await LocalReceiver.StartAsync();
        await using var watchedReceiver = await LocalReceiver.StartAsync();
        watchedReceiver.OnReceived = call => prometheus.ErrorRatio = call.Path == "rollout" ? 0.0 : prometheus.ErrorRatio; // the revert fixes production
        await using var runtime = await TestRuntime.StartAsync(
            $"Rollback:Prometheus:BaseUrl={prometheus.BaseUrl}",
            $"Rollback:Notifications:Default:SlackWebhookUrl={receiver.BaseUrl}/slack/T0/B0/impact");
        await prometheus.WaitForValueAsync(0.0, TimeSpan.FromSeconds(30));

        // Watcher: the deploy breaks production once the watcher samples it.
        var (watched, _) = await WatchedDeploys.RegisterAsync(runtime, watchedReceiver, "impact-w", environment: Environment);
        await Eventually.HoldsAsync(
            async () => (await runtime.GetJsonAsync($"/api/deploys/{watched}"))["watch"]?["state"]?.GetValue<string>() == "watching",
            TimeSpan.FromSeconds(30), () => "the watcher never sampled");
        prometheus.ErrorRatio = 0.4;

        // Alert: firing since a minute before it arrives; resolved once the reverts are done.
        var alerted = $"impact-a-{Guid.NewGuid():N}"[..24];
        await AlertIntakeApiTests.RegisterCompletedAsync(runtime, Payloads.DiamondDeploy(alerted, receiver, "impact-a", Environment));
        var firing = Payloads.AlertmanagerFiring("impact-a", Environment, startsAt: DateTimeOffset.UtcNow.AddMinutes(-1));
        (await runtime.PostJsonAsync("/api/alerts/alertmanager", firing)).Dispose();

        // Operator: committed an hour ago; its schema step is reverted by hand only.
        var asked = $"impact-o-{Guid.NewGuid():N}"[..24];
        var deploy = Payloads.DiamondDeploy(asked, receiver, "impact-o", Environment);
        deploy["steps"] = new JsonArray(
            new JsonObject { ["id"] = "schema", ["kind"] = "webhook", ["params"] = new JsonObject { ["revertUrl"] = receiver.UrlFor("schema") }, ["revert"] = new JsonObject { ["mode"] = "manual" } },
            Payloads.Step("rollout", receiver, "schema"));
        deploy["commitTime"] = DateTimeOffset.UtcNow.AddHours(-1).ToString("yyyy-MM-ddTHH:mm:ssZ");
        await AlertIntakeApiTests.RegisterCompletedAsync(runtime, deploy);
        (await runtime.PostJsonAsync($"/api/deploys/{asked}/rollback", new JsonObject { ["reason"] = "errors in the canary" })).Dispose();

        await Eventually.HoldsAsync(
            async () => (await runtime.GetJsonAsync($"/api/rollbacks/{Identifiers.RollbackIdFor(alerted)}"))["phase"]?.GetValue<string>() == "verifying",
            TimeSpan.FromSeconds(60), () => "the alert's rollback never verified");
        (await runtime.PostJsonAsync("/api/alerts/alertmanager", Payloads.Resolved(firing))).Dispose();
        var phases = await Task.WhenAll(new[] { watched, alerted, asked }.Select(async id =>
            (string)(await runtime.WaitForTerminalRollbackAsync(Identifiers.RollbackIdFor(id), TimeSpan.FromSeconds(90)))["phase"]!));
        Assert.Equal(["succeeded", "succeeded", "failed"], phases);

        // The API: one group each, every figure from the stored rows.
        var insights = await runtime.GetJsonAsync("/api/insights?days=1");
        var total = insights["total"]!;
        Assert.Equal(3, (int)total["deploys"]!);
        Assert.Equal(3, (int)total["rollbacks"]!);
        Assert.Equal(1.0, (double)total["changeFailureRate"]!);
        Assert.Equal((1, 1, 1), ((int)total["rollbacksByTrigger"]!["watcher"]!, (int)total["rollbacksByTrigger"]!["alert"]!, (int)total["rollbacksByTrigger"]!["operator"]!));
        Assert.Equal(1, (int)total["partialRollbacks"]!["count"]!);
        Assert.Equal(1, (int)total["partialRollbacks"]!["needingHuman"]!["webhook"]!);
        Assert.True((int)total["pages"]! >= 3, $"pages: {total["pages"]}");
        Assert.InRange((double)total["timeToDetect"]!["p90"]!, 55, 3600); // the alert started a minute before it came
        Assert.NotNull(total["timeToFirstRevert"]!["p50"]);
        Assert.NotNull(total["timeToRestore"]!["p50"]);
        Assert.InRange((double)total["leadTime"]!["p50"]!, 3500, 7200);
        Assert.Equal(["impact-a", "impact-o", "impact-w"], insights["groups"]!.AsArray().Select(g => (string?)g!["service"]).Order());

        // The Impact view draws the same figures.
        await browser.NavigateAsync($"{runtime.Http.BaseAddress}api/ui#impact");
        await browser.WaitForAsync("document.querySelectorAll('#impact-groups tr[data-group]').length === 3", TimeSpan.FromSeconds(20), "the impact view");
        var bars = (await browser.EvaluateAsync("Object.fromEntries([...document.querySelectorAll('#impact-triggers g[data-trigger]')].map(g => [g.dataset.trigger, g.dataset.count]))"))!.AsObject();
        Assert.Equal(("1", "1", "1"), ((string?)bars["watcher"], (string?)bars["alert"], (string?)bars["operator"]));
        Assert.Equal(4, (await browser.EvaluateAsync("document.querySelectorAll('#impact-durations g[data-figure]').length"))!.GetValue<int>());
        Assert.NotEqual("", (await browser.EvaluateAsync("document.querySelector('#impact-durations g[data-figure=\"timeToDetect\"]').dataset.p90"))!.GetValue<string>());
        Assert.Contains("webhook ×1", (await browser.EvaluateAsync("document.querySelector('#impact-total tr[data-figure=\"partial rollbacks\"]').textContent"))!.GetValue<string>());
        foreach (var (service, counts) in new[] { ("impact-w", "1 (1/0/0)"), ("impact-a", "1 (0/1/0)"), ("impact-o", "1 (0/0/1)") })
        {
            Assert.Equal(counts, (await browser.EvaluateAsync($"document.querySelector('#impact-groups tr[data-group=\"{service}/{Environment}\"] td:nth-child(4)').textContent"))!.GetValue<string>());
        }
        Assert.DoesNotContain(browser.Console, c => c.Contains("exceptionDetails", StringComparison.Ordinal) || c.Contains("Content Security Policy", StringComparison.Ordinal));
        if (System.Environment.GetEnvironmentVariable(OpenApiDocumentTests.WriteSetting) == "1")
        {
            await browser.ScreenshotAsync(Path.Combine(Repo.Root, "docs", "impact-view.png")); // docs/impact-view.png, like docs/ops-page.png
        }

        // /metrics: the same aggregates per environment, never per service.
        var scraped = "";
        var impact = await Eventually.ReturnsAsync(
            async () => ImpactGauges(scraped = await runtime.Http.GetStringAsync("/metrics")) is { Count: > 0 } lines && lines.Any(l => l.Contains("trigger=\"watcher\"", StringComparison.Ordinal) && l.Contains($"environment=\"{Environment}\"", StringComparison.Ordinal)) ? lines : null,
            TimeSpan.FromSeconds(30), () => $"the impact gauges on /metrics; it showed: {string.Join('\n', scraped.Split('\n').Where(l => l.StartsWith("rollback", StringComparison.Ordinal)))}");
        foreach (var trigger in new[] { "watcher", "alert", "operator" })
        {
            Assert.Contains(impact, l => l.StartsWith("rollback_impact_rollbacks", StringComparison.Ordinal) && l.Contains($"trigger=\"{trigger}\"", StringComparison.Ordinal) && l.Contains($"environment=\"{Environment}\"", StringComparison.Ordinal) && Value(l) == 1);
        }

        Assert.Contains(impact, l => l.StartsWith("rollback_impact_partial_rollbacks", StringComparison.Ordinal) && l.Contains($"environment=\"{Environment}\"", StringComparison.Ordinal) && Value(l) == 1);
        Assert.DoesNotContain(impact, l => l.Contains("service=", StringComparison.Ordinal));
    }

    private static List<string> ImpactGauges(string exposition) =>
        exposition.Split('\n').Where(l => l.StartsWith("rollback_impact_", StringComparison.Ordinal)).ToList();

    /// <summary>The sample value of an exposition line: <c>name{labels} value [timestamp]</c>.</summary>
    private static double Value(string line) =>
        double.Parse(line[(line.LastIndexOf('}') + 1)..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
}
