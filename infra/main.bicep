// RollbackFunctions in Azure: a Function App on the Flex Consumption plan (.NET isolated) with a
// system-assigned identity; a storage account for the task hub and the product's tables, with
// shared-key access disabled and the identity given the data roles it needs; the deployment package
// in an account of its own, reached through a separate user-assigned identity; Application Insights
// on Log Analytics; a Key Vault holding the notifier, API and audit secrets, read through Key Vault
// references. Optionally private: VNet integration and private endpoints (network.bicep).
// Deploy: see docs/azure.md. Documentation this follows:
// https://learn.microsoft.com/azure/azure-functions/flex-consumption-plan
// https://learn.microsoft.com/azure/app-service/app-service-key-vault-references
// https://learn.microsoft.com/azure/azure-functions/durable/durable-functions-azure-storage-provider

@description('Prefix of every resource name: lowercase letters and digits.')
@minLength(3)
@maxLength(11)
param name string

param location string = resourceGroup().location

@description('Instances the plan may scale out to. Flex Consumption accepts 40 to 1000.')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Memory of each instance; the sizes Flex Consumption offers.')
@allowed([512, 2048, 4096])
param instanceMemoryMB int = 2048

@description('Instances kept running for the orchestrations and activities (the `durable` group): no scale-from-zero between an alert and the first revert. Billed while idle; see docs/azure.md.')
@minValue(0)
@maxValue(20)
param alwaysReadyDurable int = 1

@description('Instances kept running for the HTTP triggers (the `http` group): alerts and CI calls answer without a cold start.')
@minValue(0)
@maxValue(20)
param alwaysReadyHttp int = 1

@description('Storage redundancy. LRS and GRS deploy in every region; ZRS/GZRS only where the region has availability zones.')
@allowed(['Standard_LRS', 'Standard_GRS', 'Standard_ZRS', 'Standard_GZRS'])
param storageSku string = 'Standard_LRS'

@description('public: storage and Key Vault answer on public endpoints, to Entra ID callers only (no keys exist). private: VNet integration, private endpoints, public network access off.')
@allowed(['public', 'private'])
param network string = 'public'

@description('Address space of the VNet when network is private.')
param vnetAddressPrefix string = '10.40.0.0/16'

@description('Part of the vault name. Raise it to deploy again into a resource group of the same name within 90 days of deleting it (the old vault stays soft-deleted under purge protection).')
@minValue(1)
param vaultGeneration int = 1

@description('Base URL on-call follows from a page; defaults to the app itself.')
param publicBaseUrl string = ''

@description('Object id of a user or group given Key Vault Secrets Officer on the vault, to set secrets later (docs/azure.md). Empty: none.')
param vaultWriterPrincipalId string = ''

@allowed(['User', 'Group', 'ServicePrincipal'])
param vaultWriterPrincipalType string = 'User'

@description('Further app settings, name to plain value (Prometheus, clusters, policy...): the template owns the whole set, so settings live here, not in the portal.')
param appSettings object = {}

@description('Further app settings read from the vault: setting name to secret name.')
param vaultAppSettings object = {}

@description('Notification channels the app pages through; each has its secret setting whether or not its value is passed.')
@allowed(['pagerduty', 'slack'])
param notificationChannels array = ['pagerduty', 'slack']

@description('PagerDuty Events v2 routing key. Empty: the secret is left as it is in the vault (see docs/azure.md).')
@secure()
param pagerDutyRoutingKey string = ''

@description('Slack incoming webhook URL. Empty: left as it is in the vault.')
@secure()
param slackWebhookUrl string = ''

@description('API keys for CI (role ci), Alertmanager and Datadog (alerts), on-call (operator, reader), at least 32 characters each. Empty: left as it is in the vault.')
@secure()
param ciKey string = ''

@secure()
param alertsKey string = ''

@secure()
param operatorKey string = ''

@description('Key that signs the audit chain (HMAC-SHA256), at least 32 characters. Empty: left as it is in the vault.')
@secure()
param auditKey string = ''

var suffix = uniqueString(resourceGroup().id, name)
var isPrivate = network == 'private'
var appName = '${name}-${suffix}'
var vaultName = take('${name}-kv-${uniqueString(resourceGroup().id, name, string(vaultGeneration))}', 24)
var packageContainer = 'app-package'

// Built-in role ids. Each grant is made on one resource (or one container) only.
var roles = {
  blobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  blobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
  queueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  tableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
  keyVaultSecretsOfficer: 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
}

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

// Public: reachable, but only with an Entra ID token (shared keys are off); the Flex app has no fixed
// outbound addresses an IP rule could name. Private: public network access off, the app goes
// through its private endpoints.
var storageNetwork = {
  publicNetworkAccess: isPrivate ? 'Disabled' : 'Enabled'
  networkAcls: { bypass: 'AzureServices', defaultAction: isPrivate ? 'Deny' : 'Allow' }
}

var storageProperties = union(storageNetwork, {
  allowSharedKeyAccess: false
  allowBlobPublicAccess: false
  minimumTlsVersion: 'TLS1_2'
  supportsHttpsTrafficOnly: true
  defaultToOAuthAuthentication: true
})

// The task hub (blobs, queues, tables) and the product's tables.
resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: take('${name}${suffix}', 24)
  location: location
  kind: 'StorageV2'
  sku: { name: storageSku }
  properties: storageProperties
}

// The deployment package, in an account of its own: the app's own identity has no role here, so
// code running as the app cannot replace the package it runs from.
resource packageStorage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: take('${name}pkg${suffix}', 24)
  location: location
  kind: 'StorageV2'
  sku: { name: storageSku }
  properties: storageProperties

  resource blobs 'blobServices' = {
    name: 'default'

    resource package 'containers' = {
      name: packageContainer
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
    publicNetworkAccess: isPrivate ? 'Disabled' : 'Enabled'
    networkAcls: { bypass: 'AzureServices', defaultAction: isPrivate ? 'Deny' : 'Allow' }
  }
}

module net 'network.bicep' = if (isPrivate) {
  name: '${name}-network'
  params: {
    name: name
    location: location
    addressPrefix: vnetAddressPrefix
    endpoints: [
      { name: 'blob', id: storage.id, groupId: 'blob', zone: 'privatelink.blob.${environment().suffixes.storage}' }
      { name: 'queue', id: storage.id, groupId: 'queue', zone: 'privatelink.queue.${environment().suffixes.storage}' }
      { name: 'table', id: storage.id, groupId: 'table', zone: 'privatelink.table.${environment().suffixes.storage}' }
      { name: 'package', id: packageStorage.id, groupId: 'blob', zone: 'privatelink.blob.${environment().suffixes.storage}' }
      { name: 'vault', id: vault.id, groupId: 'vault', zone: 'privatelink.vaultcore.azure.net' }
    ]
  }
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: '${name}-plan'
  location: location
  kind: 'functionapp'
  sku: { tier: 'FlexConsumption', name: 'FC1' }
  properties: { reserved: true }
}

// The identity the platform uses to read and write the deployment package, granted on that one
// container before the site exists.
resource packageIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: '${name}-package-id'
  location: location
}

resource packageGrant 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(packageStorage::blobs::package.id, packageIdentity.id, roles.blobDataContributor)
  scope: packageStorage::blobs::package
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.blobDataContributor)
    principalId: packageIdentity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource app 'Microsoft.Web/sites@2024-04-01' = {
  name: appName
  location: location
  kind: 'functionapp,linux'
  identity: {
    type: 'SystemAssigned, UserAssigned'
    userAssignedIdentities: { '${packageIdentity.id}': {} }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    keyVaultReferenceIdentity: 'SystemAssigned'
    virtualNetworkSubnetId: isPrivate ? net!.outputs.appSubnetId : null
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${packageStorage.properties.primaryEndpoints.blob}${packageContainer}'
          authentication: { type: 'UserAssignedIdentity', userAssignedIdentityResourceId: packageIdentity.id }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
        alwaysReady: [
          { name: 'durable', instanceCount: alwaysReadyDurable }
          { name: 'http', instanceCount: alwaysReadyHttp }
        ]
      }
      runtime: { name: 'dotnet-isolated', version: '10.0' }
    }
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
    }
  }
  dependsOn: [packageGrant]
}

// Publishing with a user name and password (SCM/Kudu and FTP) is off: deploy with Entra ID (az CLI).
resource scmBasicAuth 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: app
  name: 'scm'
  properties: { allow: false }
}

resource ftpBasicAuth 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: app
  name: 'ftp'
  properties: { allow: false }
}

resource storageGrants 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for role in [roles.blobDataOwner, roles.queueDataContributor, roles.tableDataContributor]: {
  name: guid(storage.id, app.id, role)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role)
    principalId: app.identity.principalId
    principalType: 'ServicePrincipal'
  }
}]

resource vaultGrant 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, app.id, roles.keyVaultSecretsUser)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
    principalId: app.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

resource officerGrant 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(vaultWriterPrincipalId)) {
  name: guid(vault.id, vaultWriterPrincipalId, roles.keyVaultSecretsOfficer)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsOfficer)
    principalId: vaultWriterPrincipalId
    principalType: vaultWriterPrincipalType
  }
}

resource insightsGrant 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(insights.id, app.id, roles.monitoringMetricsPublisher)
  scope: insights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
    principalId: app.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

module settings 'settings.bicep' = {
  name: '${name}-settings'
  params: {
    appName: app.name
    vaultName: vault.name
    storageName: storage.name
    insightsConnectionString: insights.properties.ConnectionString
    publicBaseUrl: empty(publicBaseUrl) ? 'https://${app.properties.defaultHostName}' : publicBaseUrl
    appSettings: appSettings
    vaultAppSettings: vaultAppSettings
    notificationChannels: notificationChannels
    secretValues: {
      'pagerduty-routing-key': pagerDutyRoutingKey
      'slack-webhook-url': slackWebhookUrl
      'key-ci': ciKey
      'key-alerts': alertsKey
      'key-operator': operatorKey
      'audit-key': auditKey
    }
  }
  // Key Vault references resolve on the first start only when the identity can already read the
  // vault (App Service caches a failed resolution), and the host needs its storage roles.
  dependsOn: [vaultGrant, storageGrants, insightsGrant]
}

@description('The API base URL: give it to Alertmanager, Datadog and CI.')
output baseUrl string = 'https://${app.properties.defaultHostName}/api'

output functionAppName string = app.name
output storageAccountName string = storage.name
output packageStorageAccountName string = packageStorage.name
output keyVaultName string = vault.name
