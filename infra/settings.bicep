// The Function App's settings, as their own resource, deployed by main.bicep after the identity's
// Key Vault and storage grants exist: App Service resolves Key Vault references when settings
// change and caches a failed resolution, so settings written before the grant would leave the app
// unable to start for up to a day.
// https://learn.microsoft.com/azure/app-service/app-service-key-vault-references
//
// The whole set is written on every deploy (`sites/config` replaces it), always the same for the
// same parameters: every secret setting is a reference whether or not its value was passed, and
// everything an operator adds comes in through `appSettings`/`vaultAppSettings`, never the portal.

param appName string
param vaultName string
param storageName string
param insightsConnectionString string
param publicBaseUrl string
param appSettings object
param vaultAppSettings object

@description('The notification channels whose secret settings exist: pagerduty, slack.')
param notificationChannels array

@description('Secret name to value; an empty value leaves that secret as it is in the vault.')
@secure()
param secretValues object

// The API keys and their roles, and the audit key id. Tests feed these to the app's access rules.
var keyRoles = {
  Rollback__Auth__Keys__ci__Roles: 'ci'
  Rollback__Auth__Keys__alerts__Roles: 'alerts'
  Rollback__Auth__Keys__oncall__Roles: 'operator,reader'
  Rollback__Audit__CurrentKey: 'k1'
}

// Settings read from the vault: setting name to secret name.
var secretSettings = {
  Rollback__Auth__Keys__ci__Secret: 'key-ci'
  Rollback__Auth__Keys__alerts__Secret: 'key-alerts'
  Rollback__Auth__Keys__oncall__Secret: 'key-operator'
  Rollback__Audit__Keys__k1: 'audit-key'
}

// The channels' settings, also read from the vault, for the channels the deployment uses.
var channelSettings = {
  pagerduty: { Rollback__Notifications__Default__PagerDutyRoutingKey: 'pagerduty-routing-key' }
  slack: { Rollback__Notifications__Default__SlackWebhookUrl: 'slack-webhook-url' }
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: vaultName
}

resource site 'Microsoft.Web/sites@2024-04-01' existing = {
  name: appName
}

// A secret is written only when its value is passed: a redeploy without it keeps what an operator
// set in the vault since. One never set is what the app reports at start (docs/azure.md).
resource secrets 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = [for secret in items(secretValues): if (!empty(secret.value)) {
  parent: vault
  name: secret.key
  properties: { value: secret.value }
}]

// A versionless reference: App Service follows the secret's latest version.
func secretRef(vaultUri string, secretName string) string => '@Microsoft.KeyVault(SecretUri=${vaultUri}secrets/${secretName}/)'

var identitySettings = {
  // Identity-based storage: no account key anywhere; the app's tables use the same identity.
  AzureWebJobsStorage__accountName: storageName
  AzureWebJobsStorage__credential: 'managedidentity'
  APPLICATIONINSIGHTS_CONNECTION_STRING: insightsConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD'
  Rollback__Notifications__PublicBaseUrl: publicBaseUrl
}

var channels = reduce(map(notificationChannels, channel => channelSettings[channel]), {}, (all, next) => union(all, next))
var references = toObject(items(union(vaultAppSettings, channels, secretSettings)), s => s.key, s => secretRef(vault.properties.vaultUri, s.value))

resource settings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: site
  name: 'appsettings'
  // The template's own settings win over an operator's of the same name.
  properties: union(appSettings, references, keyRoles, identitySettings)
  dependsOn: [secrets]
}
