using System.Text.Json.Nodes;

namespace RollbackFunctions.Integration.Tests.Kit;

/// <summary>
/// What the compiled template deploys around the app: scale and always-ready instances within Flex
/// Consumption's bounds, SKUs every region offers, publishing without passwords, the deployment
/// package out of the app identity's reach, network access off when private, grants on one
/// resource each (SAFETY.md 9: least privilege).
/// </summary>
public sealed class InfraHardeningTests
{
    [Fact]
    public async Task Template_Scale_StaysWithinFlexBoundsAndKeepsDurableAndHttpReady()
    {
        var template = await CompiledTemplate.BuildAsync();
        var scale = template.OfType("Microsoft.Web/sites").Single()["properties"]!["functionAppConfig"]!["scaleAndConcurrency"]!;

        Assert.Equal(40, template.Parameter("maximumInstanceCount")["minValue"]!.GetValue<int>());
        Assert.Equal(1000, template.Parameter("maximumInstanceCount")["maxValue"]!.GetValue<int>());
        Assert.Equal([512, 2048, 4096], template.Parameter("instanceMemoryMB")["allowedValues"]!.AsArray().Select(v => v!.GetValue<int>()));
        var alwaysReady = scale["alwaysReady"]!.AsArray().ToDictionary(g => g!["name"]!.GetValue<string>(), g => g!["instanceCount"]!.GetValue<string>());
        Assert.Equal("[parameters('alwaysReadyDurable')]", alwaysReady["durable"]);
        Assert.Equal("[parameters('alwaysReadyHttp')]", alwaysReady["http"]);
        Assert.Equal(1, template.Parameter("alwaysReadyDurable")["defaultValue"]!.GetValue<int>());
        Assert.Equal(1, template.Parameter("alwaysReadyHttp")["defaultValue"]!.GetValue<int>());
    }

    [Fact]
    public async Task Template_Defaults_DeployInEveryRegion_AndTheVaultNameCanMoveOn()
    {
        var template = await CompiledTemplate.BuildAsync();

        Assert.Equal("Standard_LRS", template.Parameter("storageSku")["defaultValue"]!.GetValue<string>());
        Assert.All(template.OfType("Microsoft.Storage/storageAccounts"), s => Assert.Equal("[parameters('storageSku')]", s["sku"]!["name"]!.GetValue<string>()));
        // Purge protection keeps a deleted vault's name for 90 days; a new generation gets a new name.
        Assert.Contains("vaultGeneration", template.Root["variables"]!["vaultName"]!.GetValue<string>());
    }

    [Fact]
    public async Task Template_BasicAuthPublishing_IsOffForScmAndFtp()
    {
        var template = await CompiledTemplate.BuildAsync();

        var policies = template.OfType("Microsoft.Web/sites/basicPublishingCredentialsPolicies").ToList();

        Assert.Equal(2, policies.Count);
        Assert.Contains(policies, p => p["name"]!.GetValue<string>().EndsWith("'scm')]", StringComparison.Ordinal));
        Assert.Contains(policies, p => p["name"]!.GetValue<string>().EndsWith("'ftp')]", StringComparison.Ordinal));
        Assert.All(policies, p => Assert.False(p["properties"]!["allow"]!.GetValue<bool>()));
    }

    [Fact]
    public async Task Template_DeploymentPackage_IsOutOfTheAppIdentitysReach()
    {
        var template = await CompiledTemplate.BuildAsync();
        var site = template.OfType("Microsoft.Web/sites").Single();
        var grants = template.OfType("Microsoft.Authorization/roleAssignments").ToList();

        var deployment = site["properties"]!["functionAppConfig"]!["deployment"]!["storage"]!;
        Assert.Equal("UserAssignedIdentity", deployment["authentication"]!["type"]!.GetValue<string>());
        Assert.Contains("{0}pkg{1}", CompiledTemplate.Text(deployment["value"])); // its own account
        var appGrants = grants.Where(g => CompiledTemplate.Text(g["properties"]!["principalId"]).Contains("Microsoft.Web/sites", StringComparison.Ordinal)).ToList();
        Assert.Equal(5, appGrants.Sum(g => g["copy"] is null ? 1 : 3)); // three storage data roles, Key Vault secrets, metrics
        Assert.All(appGrants, g => Assert.DoesNotContain("{0}pkg{1}", CompiledTemplate.Text(g["scope"])));
        var packageGrant = Assert.Single(grants, g => CompiledTemplate.Text(g["properties"]!["principalId"]).Contains("userAssignedIdentities", StringComparison.Ordinal));
        Assert.Contains("blobServices/containers", CompiledTemplate.Text(packageGrant["scope"])); // that one container
        Assert.All(grants, g => Assert.NotNull(g["scope"])); // on one resource each, never the whole group
    }

    [Fact]
    public async Task Template_VaultWriter_IsAnOptionalSecretsOfficerOnTheVaultOnly()
    {
        var template = await CompiledTemplate.BuildAsync();

        var officer = Assert.Single(template.OfType("Microsoft.Authorization/roleAssignments"), g => CompiledTemplate.Text(g["properties"]!["principalId"]).Contains("vaultWriterPrincipalId", StringComparison.Ordinal));

        Assert.Equal("[not(empty(parameters('vaultWriterPrincipalId')))]", officer["condition"]!.GetValue<string>());
        Assert.Contains("keyVaultSecretsOfficer", CompiledTemplate.Text(officer["properties"]!["roleDefinitionId"]));
        Assert.Equal("b86a8fe4-44ce-4948-aee5-eccb2c155cd7", template.Root["variables"]!["roles"]!["keyVaultSecretsOfficer"]!.GetValue<string>());
        Assert.Equal("[resourceId('Microsoft.KeyVault/vaults', variables('vaultName'))]", officer["scope"]!.GetValue<string>());
    }

    [Fact]
    public async Task Template_PrivateNetwork_TurnsPublicAccessOffAndAddsEndpoints()
    {
        var template = await CompiledTemplate.BuildAsync();
        var storageNetwork = template.Root["variables"]!["storageNetwork"]!;
        var vault = template.OfType("Microsoft.KeyVault/vaults").Single()["properties"]!;

        Assert.Equal("[if(variables('isPrivate'), 'Disabled', 'Enabled')]", storageNetwork["publicNetworkAccess"]!.GetValue<string>());
        Assert.Equal("[if(variables('isPrivate'), 'Deny', 'Allow')]", storageNetwork["networkAcls"]!["defaultAction"]!.GetValue<string>());
        Assert.Equal("[if(variables('isPrivate'), 'Disabled', 'Enabled')]", vault["publicNetworkAccess"]!.GetValue<string>());
        Assert.Equal("[if(variables('isPrivate'), 'Deny', 'Allow')]", vault["networkAcls"]!["defaultAction"]!.GetValue<string>());
        var network = template.Resources.Single(r => CompiledTemplate.Type(r) == "Microsoft.Resources/deployments" && CompiledTemplate.Text(r["name"]).Contains("-network", StringComparison.Ordinal));
        Assert.Equal("[variables('isPrivate')]", network["condition"]!.GetValue<string>());
        var endpoints = network["properties"]!["parameters"]!["endpoints"]!["value"]!.AsArray().Select(e => e!["groupId"]!.GetValue<string>()).ToList();
        Assert.Equal(["blob", "queue", "table", "blob", "vault"], endpoints);
        var subnets = CompiledTemplate.Text(network["properties"]!["template"]);
        Assert.Contains("Microsoft.App/environments", subnets); // the delegation Flex Consumption needs
        Assert.Contains("virtualNetworkSubnetId", template.OfType("Microsoft.Web/sites").Single()["properties"]!.AsObject().Select(p => p.Key));
    }
}
