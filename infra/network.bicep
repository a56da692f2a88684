// The private network of RollbackFunctions (main.bicep's `network = 'private'`): a VNet with a
// subnet the Function App integrates into (Flex Consumption needs it delegated to
// Microsoft.App/environments) and a subnet for private endpoints; one private endpoint per storage
// service and the vault, each with its privatelink DNS zone linked to the VNet so the app resolves
// the private address. Peer this VNet (or route from it) to reach private Kubernetes API servers,
// Prometheus or databases.
// https://learn.microsoft.com/azure/azure-functions/flex-consumption-plan#virtual-network-integration
// https://learn.microsoft.com/azure/azure-functions/functions-networking-options

param name string
param location string

@description('Address space of the VNet; the app subnet is its first /24, endpoints the second.')
param addressPrefix string

@description('Private endpoints to create: name, the target resource id, its sub-resource (groupId) and DNS zone.')
param endpoints array

resource vnet 'Microsoft.Network/virtualNetworks@2024-05-01' = {
  name: '${name}-vnet'
  location: location
  properties: {
    addressSpace: { addressPrefixes: [addressPrefix] }
    subnets: [
      {
        name: 'app'
        properties: {
          addressPrefix: cidrSubnet(addressPrefix, 24, 0)
          delegations: [{ name: 'flex', properties: { serviceName: 'Microsoft.App/environments' } }]
        }
      }
      {
        name: 'endpoints'
        properties: {
          addressPrefix: cidrSubnet(addressPrefix, 24, 1)
          privateEndpointNetworkPolicies: 'Disabled'
        }
      }
    ]
  }
}

resource zones 'Microsoft.Network/privateDnsZones@2024-06-01' = [for zone in union(map(endpoints, e => e.zone), []): {
  name: zone
  location: 'global'
}]

resource links 'Microsoft.Network/privateDnsZones/virtualNetworkLinks@2024-06-01' = [for (zone, i) in union(map(endpoints, e => e.zone), []): {
  parent: zones[i]
  name: '${name}-vnet'
  location: 'global'
  properties: {
    virtualNetwork: { id: vnet.id }
    registrationEnabled: false
  }
}]

resource privateEndpoints 'Microsoft.Network/privateEndpoints@2024-05-01' = [for endpoint in endpoints: {
  name: '${name}-pe-${endpoint.name}'
  location: location
  properties: {
    subnet: { id: vnet.properties.subnets[1].id }
    privateLinkServiceConnections: [
      {
        name: endpoint.name
        properties: { privateLinkServiceId: endpoint.id, groupIds: [endpoint.groupId] }
      }
    ]
  }
}]

resource zoneGroups 'Microsoft.Network/privateEndpoints/privateDnsZoneGroups@2024-05-01' = [for (endpoint, i) in endpoints: {
  parent: privateEndpoints[i]
  name: 'default'
  properties: {
    privateDnsZoneConfigs: [
      {
        name: replace(endpoint.zone, '.', '-')
        properties: { privateDnsZoneId: resourceId('Microsoft.Network/privateDnsZones', endpoint.zone) }
      }
    ]
  }
  dependsOn: [zones]
}]

@description('The subnet the Function App integrates into.')
output appSubnetId string = vnet.properties.subnets[0].id
