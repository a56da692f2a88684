using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using RollbackFunctions.Core.Deploys;

namespace RollbackFunctions.Local.Demo;

/// <summary>
/// <c>dotnet run --project src/RollbackFunctions.Local -- demo</c>: a whole incident on one machine.
/// A five-layer deploy of a simulated service is registered and completed; the demo then breaks
/// production (its error ratio jumps), and the product does the rest: a real Prometheus and
/// Alertmanager (or the deploy's own watcher, or a synthetic alert when neither is installed)
/// report it, the rollback halts the deploy, pages, reverts the layers in reverse order and verifies
/// health. The terminal shows it live; the ops page URL is printed; the incident report ends it.
/// </summary>
public static class FireDrill
{
    private const string Service = "demo-checkout";
    private const string Environment = "prod";
    private const double BrokenRatio = 0.35;
    private const string SyntheticOption = "--synthetic";

    // Applied in this order; reverted in the reverse one (rollout first, terraform last).
    private static readonly (string Layer, string[] DependsOn)[] Layers =
        [("terraform", []), ("schema", ["terraform"]), ("config", ["schema"]), ("flags", ["schema"]), ("rollout", ["config", "flags"])];

    public static async Task<int> RunAsync(string[] args)
    {
        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };
        var display = new ProgressDisplay(Console.Out, redraw: !Console.IsOutputRedirected);
        try
        {
            return await RunAsync(args, display, stop.Token);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            display.Say("stopped.");
            return 130;
        }
        catch (Exception e) when (e is InvalidOperationException or HttpRequestException or TimeoutException)
        {
            display.Say($"The drill failed: {e.Message}");
            return 1;
        }
    }

    private static async Task<int> RunAsync(string[] args, ProgressDisplay display, CancellationToken cancellationToken)
    {
        display.Say("RollbackFunctions fire drill: a bad deploy, detected and rolled back across five layers.");
        await using var production = await SimulatedService.StartAsync(Service);
        // --synthetic: no Prometheus or Alertmanager even where installed (a quicker drill).
        var synthetic = args.Contains(SyntheticOption);
        args = args.Where(a => a != SyntheticOption).ToArray();
        await using var monitoring = MonitoringStack.PrometheusInstalled && !synthetic ? MonitoringStack.Plan() : null;
        display.Say(monitoring is null
            ? synthetic ? "--synthetic: the demo sends the Alertmanager alert itself." : "Prometheus is not installed (sudo apt-get install prometheus prometheus-alertmanager): the demo sends a synthetic Alertmanager alert instead."
            : MonitoringStack.AlertmanagerInstalled
                ? "Using the real Prometheus and Alertmanager installed here; the deploy's own watcher samples Prometheus too."
                : "Prometheus is installed, Alertmanager is not: the deploy's own watcher detects the breach.");

        // The drill's own task hub and tables, so it never touches real deploys; what the command
        // line says comes last and wins.
        string[] settings =
        [
            "--Rollback:Durable:TaskHub=RollbackDemo",
            "--Rollback:Storage:TablePrefix=demo",
            "--Rollback:Executors:Webhook:AllowedHosts:0=127.0.0.1",
            "--Logging:LogLevel:Default=Error", // the display is the output
            "--Rollback:Durable:LogLevel=Error",
            .. monitoring is null ? Array.Empty<string>() : [$"--Rollback:Prometheus:BaseUrl={monitoring.PrometheusUrl}"],
            .. args,
        ];
        await using var runtime = await LocalRuntime.BuildAsync(settings);
        await runtime.App.StartAsync(cancellationToken);
        try
        {
            return await DrillAsync(runtime, production, monitoring, display, cancellationToken);
        }
        finally
        {
            await runtime.App.StopAsync(CancellationToken.None);
        }
    }

    private static async Task<int> DrillAsync(LocalRuntime runtime, SimulatedService production, MonitoringStack? monitoring, ProgressDisplay display, CancellationToken cancellationToken)
    {
        var baseUrl = runtime.App.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        using var api = new HttpClient { BaseAddress = new Uri(baseUrl), Timeout = TimeSpan.FromSeconds(30) };
        if (monitoring is not null)
        {
            await monitoring.StartAsync(production.BaseUrl, Service, Environment, $"{baseUrl}/api/alerts/alertmanager", cancellationToken);
        }

        var deployId = $"demo-{DateTime.UtcNow:yyyyMMdd-HHmmss}";
        var rollbackId = Identifiers.RollbackIdFor(deployId);
        await DeployAsync(api, deployId, production, watched: monitoring is not null, cancellationToken);
        display.Say($"Deployed {Service} 2.0.0 to {Environment} ({string.Join(" → ", Layers.Select(l => l.Layer))}): deploy {deployId}.");
        display.Say($"Watch it on the ops page: {baseUrl}/api/ui#rollback={rollbackId}");

        production.ErrorRatio = BrokenRatio;
        var brokenAt = DateTimeOffset.UtcNow;
        display.Say($"Production broken at {brokenAt:HH:mm:ss}: error ratio {BrokenRatio:0.00}.");
        var alert = monitoring is null ? SyntheticAlert(brokenAt) : null;
        if (alert is not null)
        {
            await PostAsync(api, "/api/alerts/alertmanager", alert, cancellationToken);
        }

        var rollback = await FollowAsync(api, rollbackId, production, brokenAt, alert, display, cancellationToken);
        display.Say("");
        foreach (var line in Timeline(rollback, brokenAt))
        {
            display.Say(line);
        }

        display.Say("");
        display.Say(await api.GetStringAsync($"/api/rollbacks/{rollbackId}/report", cancellationToken));
        var succeeded = (string?)rollback["phase"] == "succeeded";
        if (!Console.IsOutputRedirected && !Console.IsInputRedirected)
        {
            display.Say($"The ops page stays up at {baseUrl}/api/ui#rollback={rollbackId} — press Ctrl+C to stop.");
            await Task.Delay(Timeout.Infinite, cancellationToken).ContinueWith(_ => { }, CancellationToken.None);
        }

        return succeeded ? 0 : 1;
    }

    /// <summary>Registers the deploy as CI would, reports every layer applied and completes it.</summary>
    private static async Task DeployAsync(HttpClient api, string deployId, SimulatedService production, bool watched, CancellationToken cancellationToken)
    {
        var deploy = new JsonObject
        {
            ["deployId"] = deployId,
            ["service"] = Service,
            ["environment"] = Environment,
            ["version"] = "2.0.0",
            ["previousVersion"] = "1.9.3",
            ["labels"] = new JsonObject { ["cluster"] = "local", ["namespace"] = "shop" },
            ["steps"] = new JsonArray(Layers.Select(l => (JsonNode)new JsonObject
            {
                ["id"] = l.Layer,
                ["kind"] = "webhook",
                ["dependsOn"] = new JsonArray(l.DependsOn.Select(d => (JsonNode)d).ToArray()),
                ["params"] = new JsonObject { ["revertUrl"] = production.RevertUrl(l.Layer) },
            }).ToArray()),
        };
        if (watched)
        {
            deploy["conditions"] = new JsonObject
            {
                ["checks"] = new JsonArray(new JsonObject
                {
                    ["name"] = "error-ratio",
                    ["query"] = $"max({SimulatedService.Metric}{{service=\"{Service}\"}})",
                    ["unhealthyAbove"] = 0.05,
                    ["failureLimit"] = 2,
                }),
                ["watchInterval"] = "00:00:05", // the shortest a deploy may ask for
                ["interval"] = "00:00:01",
                ["requiredHealthyChecks"] = 3,
                ["verifyWindow"] = "00:02:00",
            };
        }

        await PostAsync(api, "/api/deploys", deploy, cancellationToken);
        foreach (var (layer, _) in Layers)
        {
            await PostAsync(api, $"/api/deploys/{deployId}/steps/{layer}", new JsonObject { ["status"] = "applied" }, cancellationToken);
        }

        await PostAsync(api, $"/api/deploys/{deployId}/complete", new JsonObject(), cancellationToken);
    }

    /// <summary>Redraws the picture until the rollback ends; resolves the synthetic alert once production recovered.</summary>
    private static async Task<JsonObject> FollowAsync(
        HttpClient api, string rollbackId, SimulatedService production, DateTimeOffset brokenAt, JsonObject? synthetic, ProgressDisplay display, CancellationToken cancellationToken)
    {
        var resolved = false;
        var deadline = DateTimeOffset.UtcNow.AddMinutes(5);
        while (true)
        {
            using var reply = await api.GetAsync($"/api/rollbacks/{rollbackId}", cancellationToken);
            var rollback = reply.IsSuccessStatusCode ? await reply.Content.ReadFromJsonAsync<JsonObject>(cancellationToken) : null;
            display.Show(Picture(rollback, production), $"t+{(DateTimeOffset.UtcNow - brokenAt).TotalSeconds:0.0} s");
            if (rollback is not null && (string?)rollback["phase"] is "succeeded" or "failed" or "aborted")
            {
                return rollback;
            }

            if (synthetic is not null && !resolved && production.Reverted.Contains("rollout"))
            {
                // What Alertmanager would send once the rule stops firing.
                await PostAsync(api, "/api/alerts/alertmanager", Resolved(synthetic), cancellationToken);
                resolved = true;
            }

            if (DateTimeOffset.UtcNow > deadline)
            {
                throw new TimeoutException($"rollback {rollbackId} did not end within 5 minutes");
            }

            await Task.Delay(250, cancellationToken);
        }
    }

    private static List<string> Picture(JsonObject? rollback, SimulatedService production)
    {
        var lines = new List<string> { $"  production    error ratio {production.ErrorRatio.ToString("0.000", CultureInfo.InvariantCulture)}" };
        if (rollback is null)
        {
            lines.Add("  rollback      waiting for the alert or the watcher to notice …");
            return lines;
        }

        var trigger = rollback["trigger"]!;
        lines.Add($"  rollback      {rollback["phase"],-16} trigger: {trigger["kind"]} ({Evidence(trigger)})");
        var steps = rollback["steps"]!.AsArray().Select(s => s!).OrderBy(s => (int?)s["level"] ?? int.MaxValue);
        lines.Add("  layers        " + string.Join("  ", steps.Select(s => $"{Mark((string?)s["status"])} {s["stepId"]}")));
        var samples = rollback["verification"]!.AsArray();
        lines.Add("  verification  " + (samples.Count == 0 ? "—" : string.Concat(samples.Select(s => (string?)s!["verdict"] == "healthy" ? "●" : "○")) + $" ({samples.Count} sample(s))"));
        return lines;
    }

    private static string Evidence(JsonNode trigger) =>
        trigger["alerts"]?.AsArray().FirstOrDefault() is { } alert ? (string?)alert["name"] ?? ""
        : trigger["breaches"]?.AsArray().FirstOrDefault() is { } breach ? $"{breach["check"]} {breach["value"]} {breach["threshold"]}"
        : (string?)trigger["reason"] ?? "";

    private static string Mark(string? status) => status switch
    {
        "reverted" => "✔",
        "reverting" => "⟳",
        "pending" => "·",
        "awaitingApproval" => "⏸",
        _ => "✖",
    };

    /// <summary>Milestones from the moment production broke, read from the rollback's own record.</summary>
    private static IEnumerable<string> Timeline(JsonObject rollback, DateTimeOffset brokenAt)
    {
        string At(JsonNode? time) => time is null ? "—" : $"t+{(DateTimeOffset.Parse(time.GetValue<string>(), CultureInfo.InvariantCulture) - brokenAt).TotalSeconds,5:0.0} s";
        JsonNode? Phase(string phase) => rollback["timeline"]!.AsArray().FirstOrDefault(t => (string?)t!["phase"] == phase)?["at"];
        var steps = rollback["steps"]!.AsArray().Select(s => s!).ToList();
        yield return $"Timeline of the drill (production broke at {brokenAt:HH:mm:ss.f}):";
        yield return $"  {At(rollback["claimedAt"])}  detected ({rollback["trigger"]!["kind"]}) and claimed: rollback {rollback["rollbackId"]}";
        // Paging goes out with the first reverts (rollingBack); rollbacks started before that had a paging phase of their own.
        yield return $"  {At(Phase("paging") ?? Phase("rollingBack"))}  deploy halted, on-call paged";
        yield return $"  {At(steps.Select(s => s["startedAt"]).Where(t => t is not null).MinBy(t => (string?)t))}  first revert started";
        yield return $"  {At(steps.Select(s => s["finishedAt"]).Where(t => t is not null).MaxBy(t => (string?)t))}  last layer reverted";
        yield return $"  {At(rollback["completedAt"])}  {rollback["phase"]}: {rollback["summary"]}";
    }

    private static JsonObject SyntheticAlert(DateTimeOffset startsAt)
    {
        var labels = new JsonObject { ["alertname"] = MonitoringStack.AlertName, ["service"] = Service, ["environment"] = Environment, ["severity"] = "page" };
        return new JsonObject
        {
            ["version"] = "4",
            ["groupKey"] = $"{{}}:{{alertname=\"{MonitoringStack.AlertName}\"}}",
            ["truncatedAlerts"] = 0,
            ["status"] = "firing",
            ["receiver"] = "rollback",
            ["groupLabels"] = new JsonObject { ["alertname"] = MonitoringStack.AlertName },
            ["commonLabels"] = labels.DeepClone(),
            ["commonAnnotations"] = new JsonObject { ["summary"] = $"{Service} error ratio is {BrokenRatio}" },
            ["externalURL"] = "http://demo.invalid",
            ["alerts"] = new JsonArray(new JsonObject
            {
                ["status"] = "firing",
                ["labels"] = labels,
                ["annotations"] = new JsonObject { ["summary"] = $"{Service} error ratio is {BrokenRatio}" },
                ["startsAt"] = startsAt.ToString("O", CultureInfo.InvariantCulture),
                ["endsAt"] = "0001-01-01T00:00:00Z",
                ["generatorURL"] = "http://demo.invalid/graph",
                ["fingerprint"] = "de30c0ffee000001",
            }),
        };
    }

    private static JsonObject Resolved(JsonObject firing)
    {
        var resolved = firing.DeepClone().AsObject();
        resolved["status"] = "resolved";
        resolved["alerts"]![0]!["status"] = "resolved";
        resolved["alerts"]![0]!["endsAt"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture);
        return resolved;
    }

    private static async Task PostAsync(HttpClient api, string path, JsonObject body, CancellationToken cancellationToken)
    {
        using var reply = await api.PostAsync(path, new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"), cancellationToken);
        if (!reply.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"POST {path}: {(int)reply.StatusCode} {await reply.Content.ReadAsStringAsync(cancellationToken)}");
        }
    }
}
