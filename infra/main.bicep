// RollbackFunctions in Azure: a Function App on the Flex Consumption plan (.NET isolated) with a
// system-assigned identity; a storage account for the task hub and the product's tables, with
// shared-key access disabled and the identity given the data roles it needs; Application Insights
// on Log Analytics; a Key Vault holding the notifier, API and audit secrets, read through Key Vault
// references. Deploy: see README "Deploy to Azure".

@description('Prefix of every resource name: lowercase letters and digits.')
@minLength(3)
@maxLength(11)
param name string

param location string = resourceGroup().location

@description('Instances the plan may scale out to.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Base URL on-call follows from a page; defaults to the app itself.')
param publicBaseUrl string = ''

@description('PagerDuty Events v2 routing key (stored in Key Vault). Empty: no PagerDuty until given.')
@secure()
param pagerDutyRoutingKey string = ''

@description('Slack incoming webhook URL (stored in Key Vault). Empty: no Slack until given.')
@secure()
param slackWebhookUrl string = ''

@description('API key for CI (role ci), Alertmanager and Datadog (role alerts), on-call (operator), at least 32 characters each. Empty: that key does not exist until given.')
@secure()
param ciKey string = ''

@secure()
param alertsKey string = ''

@secure()
param operatorKey string = ''

@description('Key that signs the audit chain (HMAC-SHA256), at least 32 characters. Empty: the chain is unkeyed until given.')
@secure()
param auditKey string = ''

var suffix = uniqueString(resourceGroup().id, name)
var storageName = take('${name}${suffix}', 24)
var deploymentContainer = 'app-package'
var vaultName = take('${name}-kv-${suffix}', 24)

// Built-in roles the app's identity needs: the task hub (blobs, queues, tables), the product's
// tables, its deployment package (blobs), its secrets, and Application Insights with Entra ID auth.
// Each is granted on that one resource only.
var storageRoles = [
  'b7e6dc6d-f1e8-4753-8033-0f276bb0955b' // Storage Blob Data Owner
  '974c5e8b-45b9-4653-ba55-5f855dd0fb88' // Storage Queue Data Contributor
  '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3' // Storage Table Data Contributor
]
var keyVaultSecretsUser = '4633458b-17de-408a-b874-0445c86b69e6'
var monitoringMetricsPublisher = '3913510d-42f4-4e42-8a64-420c390055eb'

resource logs 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: '${name}-logs'
  location: location
  properties: {
    sku: { name: 'PerGB2018' }
    retentionInDays: 30
  }
}

resource insights 'Microsoft.Insights/components@2020-02-02' = {
  name: '${name}-insights'
  location: location
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logs.id
    DisableLocalAuth: true
  }
}

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: storageName
  location: location
  kind: 'StorageV2'
  sku: { name: 'Standard_ZRS' }
  properties: {
    allowSharedKeyAccess: false
    allowBlobPublicAccess: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    defaultToOAuthAuthentication: true
  }

  resource blobs 'blobServices' = {
    name: 'default'

    resource package 'containers' = {
      name: deploymentContainer
    }
  }
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: vaultName
  location: location
  properties: {
    tenantId: subscription().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    enableSoftDelete: true
    enablePurgeProtection: true
  }
}

var secrets = {
  'pagerduty-routing-key': pagerDutyRoutingKey
  'slack-webhook-url': slackWebhookUrl
  'key-ci': ciKey
  'key-alerts': alertsKey
  'key-operator': operatorKey
  'audit-key': auditKey
}

resource secretValues 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = [for secret in items(secrets): if (!empty(secret.value)) {
  parent: vault
  name: secret.key
  properties: { value: secret.value }
}]

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: '${name}-plan'
  location: location
  kind: 'functionapp'
  sku: { tier: 'FlexConsumption', name: 'FC1' }
  properties: { reserved: true }
}

// A Key Vault reference for an app setting: the app reads the secret with its own identity.
func secretRef(vaultUri string, secretName string) string => '@Microsoft.KeyVault(SecretUri=${vaultUri}secrets/${secretName}/)'

var appName = '${name}-${suffix}'

var baseSettings = [
  // Identity-based storage: no account key anywhere; the app's tables use the same identity.
  { name: 'AzureWebJobsStorage__accountName', value: storage.name }
  { name: 'AzureWebJobsStorage__credential', value: 'managedidentity' }
  { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: insights.properties.ConnectionString }
  { name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING', value: 'Authorization=AAD' }
  { name: 'Rollback__Notifications__PublicBaseUrl', value: empty(publicBaseUrl) ? 'https://${appName}.azurewebsites.net' : publicBaseUrl }
]

// Settings that read a secret, present only when the secret was given: an app setting whose Key
// Vault reference cannot resolve reaches the app as its literal text, which the app refuses to start
// with. Without API keys every route but health answers 401. (secret '' = a plain value.)
var secretSettings = [
  { name: 'Rollback__Notifications__Default__PagerDutyRoutingKey', secret: 'pagerduty-routing-key', value: '', provided: !empty(pagerDutyRoutingKey) }
  { name: 'Rollback__Notifications__Default__SlackWebhookUrl', secret: 'slack-webhook-url', value: '', provided: !empty(slackWebhookUrl) }
  { name: 'Rollback__Auth__Keys__ci__Secret', secret: 'key-ci', value: '', provided: !empty(ciKey) }
  { name: 'Rollback__Auth__Keys__ci__Roles', secret: '', value: 'ci', provided: !empty(ciKey) }
  { name: 'Rollback__Auth__Keys__alerts__Secret', secret: 'key-alerts', value: '', provided: !empty(alertsKey) }
  { name: 'Rollback__Auth__Keys__alerts__Roles', secret: '', value: 'alerts', provided: !empty(alertsKey) }
  { name: 'Rollback__Auth__Keys__oncall__Secret', secret: 'key-operator', value: '', provided: !empty(operatorKey) }
  { name: 'Rollback__Auth__Keys__oncall__Roles', secret: '', value: 'operator', provided: !empty(operatorKey) }
  { name: 'Rollback__Audit__Keys__k1', secret: 'audit-key', value: '', provided: !empty(auditKey) }
  { name: 'Rollback__Audit__CurrentKey', secret: '', value: 'k1', provided: !empty(auditKey) }
]

resource app 'Microsoft.Web/sites@2024-04-01' = {
  name: appName
  location: location
  kind: 'functionapp,linux'
  identity: { type: 'SystemAssigned' }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    keyVaultReferenceIdentity: 'SystemAssigned'
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainer}'
          authentication: { type: 'SystemAssignedIdentity' }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: 2048
      }
      runtime: { name: 'dotnet-isolated', version: '10.0' }
    }
    siteConfig: {
      minTlsVersion: '1.2'
      appSettings: concat(baseSettings, map(filter(secretSettings, setting => setting.provided), setting => {
        name: setting.name
        value: setting.secret == '' ? setting.value : secretRef(vault.properties.vaultUri, setting.secret)
      }))
    }
  }
}

resource storageGrants 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for role in storageRoles: {
  name: guid(storage.id, app.id, role)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role)
    principalId: app.identity.principalId
    principalType: 'ServicePrincipal'
  }
}]

resource vaultGrant 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, app.id, keyVaultSecretsUser)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsUser)
    principalId: app.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

resource insightsGrant 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(insights.id, app.id, monitoringMetricsPublisher)
  scope: insights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', monitoringMetricsPublisher)
    principalId: app.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

@description('The API base URL: give it to Alertmanager, Datadog and CI.')
output baseUrl string = 'https://${app.properties.defaultHostName}/api'

output functionAppName string = app.name
output storageAccountName string = storage.name
output keyVaultName string = vault.name
