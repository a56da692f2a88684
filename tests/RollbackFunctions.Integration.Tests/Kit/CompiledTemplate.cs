using System.Reflection;
using System.Text.Json.Nodes;

namespace RollbackFunctions.Integration.Tests.Kit;

/// <summary>
/// <c>infra/main.bicep</c> compiled by the Bicep CLI (from its NuGet package) to the ARM JSON Azure
/// deploys, with what the infra tests read from it: resources by type, parameters, and the app
/// settings the nested settings deployment writes.
/// </summary>
internal sealed class CompiledTemplate
{
    private static readonly string Bicep = typeof(CompiledTemplate).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "BicepPath").Value!;

    private CompiledTemplate(JsonNode root) => Root = root;

    public JsonNode Root { get; }

    public IReadOnlyList<JsonNode> Resources => All(Root);

    /// <summary>The nested deployment that writes the app settings, and its template.</summary>
    public JsonNode SettingsDeployment => Resources.Single(r => Type(r) == "Microsoft.Resources/deployments" && Text(r["name"]).Contains("-settings", StringComparison.Ordinal));

    public JsonNode SettingsTemplate => SettingsDeployment["properties"]!["template"]!;

    public JsonNode Parameter(string name) => Root["parameters"]![name]!;

    public IEnumerable<JsonNode> OfType(string type) => Resources.Where(r => Type(r) == type);

    public static string Type(JsonNode resource) => resource["type"]!.GetValue<string>();

    public static string Text(JsonNode? node) => node?.ToJsonString() ?? "";

    /// <summary>Resources of a template, whether it lists them or (language version 2.0) names them.</summary>
    public static IReadOnlyList<JsonNode> All(JsonNode template) =>
        template["resources"] is JsonObject named ? named.Select(r => r.Value!).ToList() : template["resources"]!.AsArray().Select(r => r!).ToList();

    /// <summary>
    /// The app settings the template writes, with every notification channel: the literal value, or null where Azure supplies it at
    /// deploy time (a Key Vault reference, a resource's name or endpoint).
    /// </summary>
    public Dictionary<string, string?> AppSettings()
    {
        var variables = SettingsTemplate["variables"]!;
        var settings = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var (key, value) in variables["keyRoles"]!.AsObject())
        {
            settings[key] = value!.GetValue<string>();
        }

        foreach (var (key, _) in variables["secretSettings"]!.AsObject().Concat(variables["channelSettings"]!.AsObject().SelectMany(c => c.Value!.AsObject())))
        {
            settings[key] = null;
        }

        foreach (var (key, value) in variables["identitySettings"]!.AsObject())
        {
            var text = value!.GetValue<string>();
            settings[key] = text.StartsWith('[') ? null : text;
        }

        return settings;
    }

    /// <summary>
    /// Compiled once per test run (each compile costs seconds) and parsed per test: a parsed
    /// <see cref="JsonNode"/> fills itself in lazily, which is not safe across parallel tests.
    /// </summary>
    public static async Task<CompiledTemplate> BuildAsync() => new(JsonNode.Parse((await Compiled.Value).Template)!);

    /// <summary>
    /// What the compile reported on standard error: <c>build</c> runs the same linter as <c>lint</c>,
    /// with the same (default) rules, so its warnings are the lint's.
    /// </summary>
    public static async Task<string> BuildDiagnosticsAsync() => (await Compiled.Value).Diagnostics;

    private static readonly Lazy<Task<(string Template, string Diagnostics)>> Compiled = new(async () =>
    {
        var (exit, output, error) = await RunApartAsync("build", Infra("main.bicep"), "--stdout");
        Assert.True(exit == 0, error);
        return (output, error);
    });

    public static string Infra(string file) => Path.Combine(Repo.Root, "infra", file);

    public static async Task<(int Exit, string Output)> RunAsync(params string[] arguments)
    {
        var (exit, output, error) = await RunApartAsync(arguments);
        return (exit, output + error);
    }

    private static Task<(int Exit, string Output, string Error)> RunApartAsync(params string[] arguments)
    {
        Assert.True(File.Exists(Bicep), $"the Bicep CLI is missing at '{Bicep}': restore the test project");
        if (!OperatingSystem.IsWindows())
        {
            // NuGet does not keep the executable bit.
            File.SetUnixFileMode(Bicep, File.GetUnixFileMode(Bicep) | UnixFileMode.UserExecute);
        }

        return Tool.RunApartAsync(Bicep, new Dictionary<string, string> { ["BICEP_TRACING_ENABLED"] = "false" }, arguments);
    }
}
