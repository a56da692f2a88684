using System.Reflection;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace RollbackFunctions.Integration.Tests.Kit;

/// <summary>
/// <c>infra/</c> builds and lints with the Bicep CLI (from its NuGet package), and what it deploys
/// is what the app needs: identity-based storage with shared keys off, the identity's data roles
/// granted on each resource only, secrets as Key Vault references, the base URL as an output.
/// </summary>
public sealed class InfraTests
{
    private static readonly string Bicep = typeof(InfraTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "BicepPath").Value!;

    private static string Infra(string file) => Path.Combine(Repo.Root, "infra", file);

    [Fact]
    public async Task Bicep_BuildsAndLintsClean_TheParametersFileToo()
    {
        var build = await RunBicepAsync("build", Infra("main.bicep"), "--stdout");
        var lint = await RunBicepAsync("lint", Infra("main.bicep"));
        var parameters = await RunBicepAsync("build-params", Infra("main.bicepparam"), "--stdout");

        Assert.True(build.Exit == 0, build.Output);
        Assert.True(lint.Exit == 0 && !lint.Output.Contains("Warning", StringComparison.OrdinalIgnoreCase), lint.Output);
        Assert.True(parameters.Exit == 0, parameters.Output);
    }

    [Fact]
    public async Task Template_DeploysAnIdentityBasedApp_WithItsSecretsInKeyVault()
    {
        var (exit, output) = await RunBicepAsync("build", Infra("main.bicep"), "--stdout");
        Assert.True(exit == 0, output);
        var template = JsonNode.Parse(output)!;
        var resources = template["resources"]!.AsObject().Select(r => r.Value!).ToList();
        JsonNode Of(string type) => resources.Single(r => r["type"]!.GetValue<string>() == type);

        var storage = Of("Microsoft.Storage/storageAccounts")["properties"]!;
        Assert.False(storage["allowSharedKeyAccess"]!.GetValue<bool>());
        var app = Of("Microsoft.Web/sites");
        Assert.Equal("SystemAssigned", app["identity"]!["type"]!.GetValue<string>());
        Assert.Equal("dotnet-isolated", app["properties"]!["functionAppConfig"]!["runtime"]!["name"]!.GetValue<string>());
        var settings = AppSettings(template);
        Assert.Contains("AzureWebJobsStorage__accountName", settings.Keys);
        Assert.DoesNotContain("AzureWebJobsStorage", settings.Keys); // no connection string, no key
        Assert.All(settings.Where(s => s.Key.EndsWith("__Secret", StringComparison.Ordinal) || s.Key.Contains("RoutingKey", StringComparison.Ordinal) || s.Key.StartsWith("Rollback__Audit__Keys", StringComparison.Ordinal)),
            s => Assert.Null(s.Value)); // read from Key Vault, never a literal
        Assert.Contains("@Microsoft.KeyVault(SecretUri=", template["functions"]!.ToJsonString());
        var grants = resources.Where(r => r["type"]!.GetValue<string>() == "Microsoft.Authorization/roleAssignments").ToList();
        Assert.Equal(5, grants.Sum(r => r["copy"] is null ? 1 : 3)); // three storage data roles, Key Vault secrets, metrics
        Assert.All(grants, g => Assert.NotNull(g["scope"])); // on one resource each, never the whole group
        Assert.NotNull(template["outputs"]!["baseUrl"]);
    }

    [Fact]
    public async Task Template_AppSettings_StartTheFunctionsApp()
    {
        var (exit, output) = await RunBicepAsync("build", Infra("main.bicep"), "--stdout");
        Assert.True(exit == 0, output);
        // Every secret given. What Azure resolves at deploy time (names, Key Vault secrets) stands in
        // as plausible values; names, roles and shapes are the template's own.
        var settings = AppSettings(JsonNode.Parse(output)!)
            .Select(s => $"--{s.Key.Replace("__", ":", StringComparison.Ordinal)}={s.Value ?? Resolved(s.Key)}")
            .ToArray();

        using var host = FunctionsApp.Build(settings);

        host.Services.GetRequiredService<IStartupValidator>().Validate();
    }

    /// <summary>
    /// The app settings the template deploys when every secret is given: name, and the literal value
    /// or null where Azure supplies it (a Key Vault reference, a resource's name or endpoint).
    /// </summary>
    private static Dictionary<string, string?> AppSettings(JsonNode template)
    {
        var app = template["resources"]!.AsObject().Select(r => r.Value!).Single(r => r["type"]!.GetValue<string>() == "Microsoft.Web/sites");
        var expression = app["properties"]!["siteConfig"]!["appSettings"]!.GetValue<string>();
        var settings = System.Text.RegularExpressions.Regex.Matches(expression, @"createObject\('name', '([^']+)', 'value', '([^']*)'\)|createObject\('name', '([^']+)'")
            .ToDictionary(m => m.Groups[1].Success ? m.Groups[1].Value : m.Groups[3].Value, m => m.Groups[1].Success ? m.Groups[2].Value : null);
        foreach (var setting in template["variables"]!["secretSettings"]!.AsArray())
        {
            var secret = setting!["secret"]!.GetValue<string>();
            settings[setting["name"]!.GetValue<string>()] = secret == "" ? setting["value"]!.GetValue<string>() : null;
        }

        return settings;
    }

    private static string Resolved(string setting) => setting switch
    {
        "AzureWebJobsStorage__accountName" => "rollbackprod",
        _ when setting.EndsWith("Url", StringComparison.Ordinal) => "https://hooks.example.com/services/T0/B0/secret",
        "APPLICATIONINSIGHTS_CONNECTION_STRING" => "InstrumentationKey=00000000-0000-0000-0000-000000000000",
        _ => $"resolved-{Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(setting)))[..40]}",
    };

    private static async Task<(int Exit, string Output)> RunBicepAsync(params string[] arguments)
    {
        Assert.True(File.Exists(Bicep), $"the Bicep CLI is missing at '{Bicep}': restore the test project");
        if (!OperatingSystem.IsWindows())
        {
            // NuGet does not keep the executable bit.
            File.SetUnixFileMode(Bicep, File.GetUnixFileMode(Bicep) | UnixFileMode.UserExecute);
        }

        return await Tool.RunAsync(Bicep, new Dictionary<string, string> { ["BICEP_TRACING_ENABLED"] = "false" }, arguments);
    }
}
