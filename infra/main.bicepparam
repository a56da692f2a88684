using './main.bicep'

// The name prefix of every resource. Secrets go on the command line (README, "Deploy to Azure"):
// az deployment group create -g <group> -p infra/main.bicepparam -p ciKey=... alertsKey=... ...
param name = 'rollback'
param maximumInstanceCount = 40
param alwaysReadyDurable = 1
param alwaysReadyHttp = 1
param network = 'public'

// Every setting the app needs beyond the template's own lives here, so a redeploy keeps it:
// plain values in appSettings, secrets as Key Vault secret names in vaultAppSettings.
param appSettings = {
  // Rollback__Prometheus__BaseUrl: 'https://prometheus.example.com'
  // Rollback__Executors__Kubernetes__Clusters__prod__Kubeconfig: '/home/site/wwwroot/kubeconfig/prod'
  // Rollback__Executors__Helm__Path: '/home/site/wwwroot/tools/helm'
}
param vaultAppSettings = {
  // Rollback__Prometheus__BearerToken: 'prometheus-token'
}
