using './main.bicep'

// The name prefix of every resource; secrets are better passed on the command line
// (az deployment group create ... --parameters pagerDutyRoutingKey=...) or set in Key Vault later.
param name = 'rollback'
param maximumInstanceCount = 40
