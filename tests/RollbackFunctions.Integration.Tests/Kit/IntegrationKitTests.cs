using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using RollbackFunctions.Core.Deploys;

namespace RollbackFunctions.Integration.Tests.Kit;

/// <summary>
/// The integration kit in <c>kit/</c> is kept working: Alertmanager's and Prometheus' own checkers
/// accept the configuration, the Datadog payload renders to something the product reads, and the
/// curl script drives a deploy through the local runtime with a CI key.
/// </summary>
public sealed class IntegrationKitTests
{
    private static string Kit(params string[] path) => Path.Combine([Repo.Root, "kit", .. path]);

    [SkippableFact]
    public async Task AlertmanagerConfig_PassesAmtool()
    {
        var (exit, output) = await RunAsync("amtool", "check-config", Kit("alertmanager", "alertmanager.yml"));

        Assert.True(exit == 0, output);
        Assert.Contains("SUCCESS", output);
    }

    [SkippableFact]
    public async Task PrometheusRules_PassPromtool_AndCarryTheCorrelationLabels()
    {
        var (exit, output) = await RunAsync("promtool", "check", "rules", Kit("prometheus", "rollback-rules.yml"));

        Assert.True(exit == 0, output);
        var rules = await File.ReadAllTextAsync(Kit("prometheus", "rollback-rules.yml"));
        Assert.Contains("sum by (service, environment)", rules);
        Assert.Contains("rollback: \"true\"", rules);
    }

    [SkippableFact]
    public async Task DatadogWebhook_RenderedAsDatadogWould_IsReadAndMatched()
    {
        await using var runtime = await TestRuntime.StartAsync();
        await using var receiver = await LocalReceiver.StartAsync();
        var service = Repo.UniqueName("dd");
        var deploy = Payloads.DiamondDeploy($"{service}-1", receiver, service);
        deploy["steps"] = new JsonArray(Payloads.Step("schema", receiver));
        await Api.AlertIntakeApiTests.RegisterCompletedAsync(runtime, deploy);
        var definition = JsonNode.Parse(await File.ReadAllTextAsync(Kit("datadog", "webhook.json")))!;
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var rendered = definition["payload"]!.GetValue<string>()
            .Replace("$LAST_TRIGGERED_AT_EPOCH", now + "000", StringComparison.Ordinal)
            .Replace("$ALERT_CYCLE_KEY", "cycle-kit", StringComparison.Ordinal)
            .Replace("$ALERT_TRANSITION", "Triggered", StringComparison.Ordinal)
            .Replace("$ALERT_SCOPE", $"service:{service},env:prod", StringComparison.Ordinal)
            .Replace("$TAGS", $"service:{service},env:prod,team:payments", StringComparison.Ordinal)
            .Replace("$DATE", now + "000", StringComparison.Ordinal);
        rendered = System.Text.RegularExpressions.Regex.Replace(rendered, @"\$[A-Z_]+", "x");

        using var reply = await runtime.PostJsonAsync("/api/alerts/datadog", rendered);

        Assert.Equal(HttpStatusCode.Accepted, reply.StatusCode);
        var started = JsonNode.Parse(await reply.Content.ReadAsStringAsync())!["deploys"]!.AsArray().Single()!;
        Assert.True(started["started"]!.GetValue<bool>());
        Assert.Contains("Authorization", definition["custom_headers"]!.GetValue<string>());
    }

    [SkippableFact]
    public async Task CurlScript_RegistersChecksTheGateReportsAndCompletes_ThenStopsAtAClosedGate_AndAtAQuarantine()
    {
        await using var runtime = await KeyedRuntimeAsync("Roles:0");
        await using var receiver = await LocalReceiver.StartAsync();
        var (id, file) = await DeployFileAsync(receiver);
        var environment = new Dictionary<string, string> { ["ROLLBACK_URL"] = runtime.Http.BaseAddress!.ToString(), ["ROLLBACK_KEY"] = CiSecret };

        var register = await RunAsync("sh", environment, Kit("ci", "rollback.sh"), "register", file);
        var gate = await RunAsync("sh", environment, Kit("ci", "rollback.sh"), "gate", id);
        var rehearse = await RunAsync("sh", environment, Kit("ci", "rollback.sh"), "rehearse", id);
        var step = await RunAsync("sh", environment, Kit("ci", "rollback.sh"), "step", id, "schema", "applied");
        var complete = await RunAsync("sh", environment, Kit("ci", "rollback.sh"), "complete", id);
        var wrongKey = await RunAsync("sh", new Dictionary<string, string>(environment) { ["ROLLBACK_KEY"] = "nope" }, Kit("ci", "rollback.sh"), "gate", id);
        await CloseGateAsync(runtime, id);
        var closed = await RunAsync("sh", environment, Kit("ci", "rollback.sh"), "gate", id);
        File.Delete(file);
        // Once the rollback reverted the step, the version is quarantined: a retried pipeline
        // registering it again (a new deploy id each time) stops with exit 4.
        var quarantined = await Eventually.ReturnsAsync(
            async () =>
            {
                var (_, retry) = await DeployFileAsync(receiver);
                var attempt = await RunAsync("sh", environment, Kit("ci", "rollback.sh"), "register", retry);
                File.Delete(retry);
                return attempt.Exit == 4 ? attempt.Output : null;
            },
            TimeSpan.FromSeconds(60),
            () => "registering the rolled-back version again never stopped with exit 4",
            TimeSpan.FromMilliseconds(500));

        Assert.True(register.Exit == 0, register.Output);
        Assert.Contains($"\"deployId\":\"{id}\"", register.Output);
        Assert.True(gate.Exit == 0 && gate.Output.Contains("gate open", StringComparison.Ordinal), gate.Output);
        Assert.True(rehearse.Exit == 0 && rehearse.Output.Contains("\"readiness\":\"ready\"", StringComparison.Ordinal) && rehearse.Output.Contains("\"notRehearsable\"", StringComparison.Ordinal), rehearse.Output);
        Assert.True(step.Exit == 0, step.Output);
        Assert.True(complete.Exit == 0 && complete.Output.Contains("baking", StringComparison.Ordinal), complete.Output);
        Assert.Equal(1, wrongKey.Exit);
        Assert.Equal(3, closed.Exit);
        Assert.Contains(Identifiers.RollbackIdFor(id), closed.Output);
        Assert.Contains("quarantined", quarantined);
        Assert.Contains(Identifiers.RollbackIdFor(id), quarantined);
    }

    /// <summary>
    /// The GitHub composite action and the Azure Pipelines template run their script as the runner
    /// would: the script block of the YAML, inputs as the environment variables the YAML maps them to.
    /// </summary>
    [SkippableTheory]
    [InlineData("github/action.yml", "run: |")]
    [InlineData("azure-pipelines/rollback-steps.yml", "- bash: |")]
    public async Task CiWrapper_DrivesADeploy_AndFailsTheJobAtAClosedGate(string wrapper, string scriptStart)
    {
        await using var runtime = await KeyedRuntimeAsync("Roles"); // one value, as an app setting gives it
        await using var receiver = await LocalReceiver.StartAsync();
        var (id, file) = await DeployFileAsync(receiver);
        var script = Path.Combine(Path.GetTempPath(), $"{id}.sh");
        await File.WriteAllTextAsync(script, ScriptBlock(await File.ReadAllLinesAsync(Kit(wrapper.Split('/'))), scriptStart));
        Task<(int Exit, string Output)> Run(string command, string stepId = "") => RunAsync("sh", new Dictionary<string, string>
        {
            ["ROLLBACK_URL"] = runtime.Http.BaseAddress!.ToString(),
            ["ROLLBACK_KEY"] = CiSecret,
            ["GITHUB_ACTION_PATH"] = Kit("github"),
            ["ROLLBACK_KIT"] = Kit(),
            ["ROLLBACK_COMMAND"] = command,
            ["ROLLBACK_DEPLOY_FILE"] = file,
            ["ROLLBACK_DEPLOY_ID"] = id,
            ["ROLLBACK_STEP_ID"] = stepId,
            ["ROLLBACK_STATUS"] = "applied",
        }, script);

        var results = new[] { await Run("register"), await Run("gate"), await Run("step", "schema"), await Run("complete") };
        await CloseGateAsync(runtime, id);
        var closed = await Run("gate");
        File.Delete(file);
        File.Delete(script);

        Assert.All(results, r => Assert.True(r.Exit == 0, r.Output));
        Assert.Contains($"\"deployId\":\"{id}\"", results[0].Output);
        Assert.Contains("step schema applied", results[2].Output);
        Assert.Equal(3, closed.Exit);
    }

    private const string CiSecret = "ci-kit-0123456789abcdef0123456789abcdef";
    private const string OperatorSecret = "on-kit-0123456789abcdef0123456789abcdef";

    /// <summary>The runtime with a <c>ci</c> key and an on-call key, roles under <paramref name="rolesKey"/> (<c>Roles:0</c> or <c>Roles</c>).</summary>
    private static Task<TestRuntime> KeyedRuntimeAsync(string rolesKey) => TestRuntime.StartAsync(
        "Rollback:Auth:Keys:pipeline:Secret=" + CiSecret, $"Rollback:Auth:Keys:pipeline:{rolesKey}=ci",
        "Rollback:Auth:Keys:oncall:Secret=" + OperatorSecret, $"Rollback:Auth:Keys:oncall:{rolesKey}=operator",
        "Rollback:Policy:QuarantineFor=1.00:00:00");

    /// <summary>A one-step deploy registration in a file, as CI would have it.</summary>
    private static async Task<(string Id, string File)> DeployFileAsync(LocalReceiver receiver)
    {
        var id = Repo.UniqueName("kit");
        var file = Path.Combine(Path.GetTempPath(), $"{id}.json");
        var deploy = Payloads.DiamondDeploy(id, receiver);
        deploy["steps"] = new JsonArray(Payloads.Step("schema", receiver));
        await File.WriteAllTextAsync(file, deploy.ToJsonString());
        return (id, file);
    }

    /// <summary>On-call starts the rollback: the deploy's gate closes.</summary>
    private static async Task CloseGateAsync(TestRuntime runtime, string id)
    {
        using var rollback = new HttpRequestMessage(HttpMethod.Post, $"/api/deploys/{id}/rollback");
        rollback.Headers.Authorization = new("Bearer", OperatorSecret);
        (await runtime.Http.SendAsync(rollback)).Dispose();
    }

    /// <summary>The lines after <paramref name="start"/> indented deeper than the first of them, dedented.</summary>
    private static string ScriptBlock(string[] lines, string start)
    {
        var first = Array.FindIndex(lines, l => l.TrimEnd().EndsWith(start, StringComparison.Ordinal)) + 1;
        var indent = lines[first].Length - lines[first].TrimStart().Length;
        return string.Join('\n', lines.Skip(first).TakeWhile(l => l.Length == 0 || l.Length - l.TrimStart().Length >= indent).Select(l => l.Length >= indent ? l[indent..] : l)) + "\n";
    }

    private static Task<(int Exit, string Output)> RunAsync(string program, params string[] arguments) => RunAsync(program, new Dictionary<string, string>(), arguments);

    private static Task<(int Exit, string Output)> RunAsync(string program, IReadOnlyDictionary<string, string> environment, params string[] arguments) =>
        Tool.RunAsync(Tool.OnPath(program, "amtool: Debian package prometheus-alertmanager; promtool: prometheus; scripts/test.sh installs both"), environment, arguments);
}
