using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using RollbackFunctions.Api.Access;

namespace RollbackFunctions.Integration.Tests.Kit;

/// <summary>
/// <c>infra/</c> builds and lints with the Bicep CLI, and what it deploys is what the app needs:
/// identity-based storage with shared keys off, the settings written after the grants they need,
/// every secret a Key Vault reference, keys whose roles the app's own access rules accept.
/// </summary>
public sealed class InfraTests
{
    [Fact]
    public async Task Bicep_BuildsAndLintsClean_TheParametersFileToo()
    {
        // The build fails on an error and reports the linter's warnings; it is shared with the other tests.
        var build = CompiledTemplate.BuildAsync();
        var parameters = await CompiledTemplate.RunAsync("build-params", CompiledTemplate.Infra("main.bicepparam"), "--stdout");

        Assert.NotNull(await build);
        var diagnostics = await CompiledTemplate.BuildDiagnosticsAsync();
        Assert.DoesNotContain("Warning", diagnostics, StringComparison.OrdinalIgnoreCase);
        Assert.True(parameters.Exit == 0, parameters.Output);
    }

    [Fact]
    public async Task Template_SettingsResource_IsWrittenAfterTheVaultAndStorageGrants()
    {
        var template = await CompiledTemplate.BuildAsync();

        // Not in the site's own siteConfig, which exists before any grant on its identity can.
        var site = template.OfType("Microsoft.Web/sites").Single();
        Assert.Null(site["properties"]!["siteConfig"]!["appSettings"]);
        var dependsOn = CompiledTemplate.Text(template.SettingsDeployment["dependsOn"]);
        Assert.Contains("keyVaultSecretsUser", dependsOn);
        Assert.Contains("storageGrants", dependsOn);
        Assert.Contains("monitoringMetricsPublisher", dependsOn);
        var config = CompiledTemplate.All(template.SettingsTemplate).Single(r => CompiledTemplate.Type(r) == "Microsoft.Web/sites/config");
        Assert.Contains("appsettings", CompiledTemplate.Text(config["name"]));
        Assert.Contains("secrets", CompiledTemplate.Text(config["dependsOn"])); // secrets given now exist before their references
    }

    [Fact]
    public async Task Template_EverySecretSetting_IsAReferenceWhetherOrNotItsValueWasPassed()
    {
        var template = await CompiledTemplate.BuildAsync();
        var config = CompiledTemplate.All(template.SettingsTemplate).Single(r => CompiledTemplate.Type(r) == "Microsoft.Web/sites/config");
        var secrets = CompiledTemplate.All(template.SettingsTemplate).Single(r => CompiledTemplate.Type(r) == "Microsoft.KeyVault/vaults/secrets");
        var settings = template.AppSettings();

        // The settings' value does not depend on which secret values were passed; only writing a secret does.
        Assert.DoesNotContain("secretValues", CompiledTemplate.Text(config["properties"]));
        Assert.Contains("not(empty(", CompiledTemplate.Text(secrets["condition"]));
        Assert.Contains("@Microsoft.KeyVault(SecretUri=", CompiledTemplate.Text(template.SettingsTemplate["functions"]));
        Assert.All(new[] { "Rollback__Auth__Keys__ci__Secret", "Rollback__Auth__Keys__alerts__Secret", "Rollback__Auth__Keys__oncall__Secret", "Rollback__Audit__Keys__k1", "Rollback__Notifications__Default__PagerDutyRoutingKey", "Rollback__Notifications__Default__SlackWebhookUrl" },
            name => Assert.Null(settings[name]));
        Assert.Contains("AzureWebJobsStorage__accountName", settings.Keys);
        Assert.DoesNotContain("AzureWebJobsStorage", settings.Keys); // no connection string, no key
        Assert.NotNull(template.Root["outputs"]!["baseUrl"]);
    }

    [Fact]
    public async Task Template_ApiKeys_AreAuthorizedByTheAppsOwnAccessRules()
    {
        var template = await CompiledTemplate.BuildAsync();
        var settings = template.AppSettings();
        using var host = FunctionsApp.Build(settings.Select(s => $"--{s.Key.Replace("__", ":", StringComparison.Ordinal)}={s.Value ?? Resolved(s.Key)}").ToArray());
        var access = host.Services.GetRequiredService<ApiAccess>();
        bool Allowed(string key, ApiRole role)
        {
            var request = new DefaultHttpContext().Request;
            request.Headers.Authorization = $"Bearer {Resolved($"Rollback__Auth__Keys__{key}__Secret")}";
            var (caller, refusal) = access.Authorize(request, role);
            Assert.Equal(caller is null, refusal is not null);
            return caller is not null;
        }

        // Every role each key holds, and nothing more (SAFETY.md 9).
        var granted = new[] { "ci", "alerts", "oncall" }.ToDictionary(key => key, key => Enum.GetValues<ApiRole>().Where(role => Allowed(key, role)).ToArray());

        Assert.Equal([ApiRole.Ci], granted["ci"]);
        Assert.Equal([ApiRole.Alerts], granted["alerts"]);
        Assert.Equal([ApiRole.Operator, ApiRole.Reader], granted["oncall"]); // reader: the status of the rollback on-call was paged about
    }

    [Fact]
    public async Task Template_AppSettings_StartTheFunctionsApp()
    {
        var template = await CompiledTemplate.BuildAsync();
        // Every secret set in the vault. What Azure resolves at deploy time (names, Key Vault
        // secrets) stands in as plausible values; names, roles and shapes are the template's own.
        var settings = template.AppSettings()
            .Select(s => $"--{s.Key.Replace("__", ":", StringComparison.Ordinal)}={s.Value ?? Resolved(s.Key)}")
            .ToArray();

        using var host = FunctionsApp.Build(settings);

        host.Services.GetRequiredService<IStartupValidator>().Validate();
    }

    /// <summary>What App Service hands the app for a setting Azure fills in: a plausible value per setting.</summary>
    internal static string Resolved(string setting) => setting switch
    {
        "AzureWebJobsStorage__accountName" => "rollbackprod",
        _ when setting.EndsWith("Url", StringComparison.Ordinal) => "https://hooks.example.com/services/T0/B0/secret",
        "APPLICATIONINSIGHTS_CONNECTION_STRING" => "InstrumentationKey=00000000-0000-0000-0000-000000000000",
        _ => $"resolved-{Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(setting)))[..40]}",
    };
}
