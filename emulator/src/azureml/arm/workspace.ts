import type { Router } from '../../http/router';
import { armHandler, notFound } from '../errors';
import { page, isObject, type Json } from '../resources';
import { PROVIDER, WORKSPACE_ROUTE } from '../scope';
import type { AzureMlService } from '../service';

const ARM = { kind: 'arm' } as const;

/** Workspaces (read-only), computes (read-only) and datastores (read-only, plus listSecrets). */
export function registerWorkspaceRoutes(router: Router, svc: AzureMlService): void {
  const { scope } = svc;

  router.add('GET', `/subscriptions/:subscriptionId/providers/${PROVIDER}/workspaces`, ARM, armHandler((req) => {
    scope.assertSubscription(req.params);
    return { status: 200, body: { value: [workspaceResource(svc)] } };
  }));

  router.add('GET', `/subscriptions/:subscriptionId/resourceGroups/:resourceGroupName/providers/${PROVIDER}/workspaces`, ARM, armHandler((req) => {
    scope.assertResourceGroup(req.params);
    return { status: 200, body: { value: [workspaceResource(svc)] } };
  }));

  router.add('GET', WORKSPACE_ROUTE, ARM, armHandler((req) => {
    scope.assertWorkspace(req.params);
    return { status: 200, body: workspaceResource(svc) };
  }));

  router.add('GET', `${WORKSPACE_ROUTE}/computes`, ARM, armHandler((req) => {
    scope.assertWorkspace(req.params);
    return { status: 200, body: page(req, svc.ctx.baseUrl, [...svc.computes.values()], 100) };
  }));

  router.add('GET', `${WORKSPACE_ROUTE}/computes/:computeName`, ARM, armHandler((req) => {
    scope.assertWorkspace(req.params);
    const compute = svc.findCompute(req.params['computeName']!);
    if (!compute) throw notFound(`Compute '${req.params['computeName']}' was not found in workspace '${scope.name}'.`);
    return { status: 200, body: compute };
  }));

  router.add('GET', `${WORKSPACE_ROUTE}/datastores`, ARM, armHandler((req) => {
    scope.assertWorkspace(req.params);
    let stores = datastoreResources(svc);
    const isDefault = req.query.get('isDefault');
    if (isDefault !== null) stores = stores.filter((d) => String(isObject(d['properties']) && d['properties']['isDefault']) === isDefault.toLowerCase());
    const names = req.query.getAll('names');
    if (names.length > 0) stores = stores.filter((d) => names.includes(String(d['name'])));
    const count = Number(req.query.get('count') ?? '30');
    return { status: 200, body: page(req, svc.ctx.baseUrl, stores, Number.isInteger(count) && count > 0 ? count : 30) };
  }));

  router.add('GET', `${WORKSPACE_ROUTE}/datastores/:name`, ARM, armHandler((req) => {
    scope.assertWorkspace(req.params);
    return { status: 200, body: findDatastore(svc, req.params['name']!) };
  }));

  router.add('POST', `${WORKSPACE_ROUTE}/datastores/:name/listSecrets`, ARM, armHandler((req) => {
    scope.assertWorkspace(req.params);
    findDatastore(svc, req.params['name']!);
    return { status: 200, body: { secretsType: 'AccountKey', key: svc.ctx.storage.accountKey } };
  }));
}

function findDatastore(svc: AzureMlService, name: string): Json {
  const store = datastoreResources(svc).find((d) => d['name'] === name);
  if (!store) throw notFound(`Datastore '${name}' was not found in workspace '${svc.scope.name}'.`);
  return store;
}

export function workspaceResource(svc: AzureMlService): Json {
  const { scope, ctx } = svc;
  const { subscriptionId, resourceGroup, tenantId } = scope.config;
  const rgId = `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}`;
  const compact = scope.workspaceId.replace(/-/g, '');
  return {
    id: scope.armId,
    name: scope.name,
    type: `${PROVIDER}/workspaces`,
    location: scope.location,
    tags: {},
    sku: { name: 'Basic', tier: 'Basic' },
    identity: { type: 'SystemAssigned', principalId: svc.workspacePrincipalId, tenantId },
    properties: {
      workspaceId: scope.workspaceId,
      friendlyName: scope.name,
      description: '',
      storageAccount: `${rgId}/providers/Microsoft.Storage/storageAccounts/${ctx.storage.accountName}`,
      keyVault: `${rgId}/providers/Microsoft.KeyVault/vaults/kv${compact.slice(0, 16)}`,
      applicationInsights: `${rgId}/providers/microsoft.insights/components/ai${compact.slice(0, 16)}`,
      containerRegistry: `${rgId}/providers/Microsoft.ContainerRegistry/registries/cr${compact.slice(0, 16)}`,
      discoveryUrl: `${ctx.baseUrl}discovery`,
      mlFlowTrackingUri: scope.mlflowTrackingUri,
      provisioningState: 'Succeeded',
      hbiWorkspace: false,
      serviceProvisionedResourceGroup: `${scope.name}_${compact}`,
      privateLinkCount: 0,
      allowPublicAccessWhenBehindVnet: false,
      publicNetworkAccess: 'Enabled',
      privateEndpointConnections: [],
      sharedPrivateLinkResources: [],
      tenantId,
      storageHnsEnabled: false,
      v1LegacyMode: false,
    },
    systemData: svc.createdSystemData,
  };
}

function datastoreResources(svc: AzureMlService): Json[] {
  const { storage } = svc.ctx;
  const make = (name: string, containerName: string, isDefault: boolean, description: string): Json => ({
    id: svc.scope.childId('datastores', name),
    name,
    type: `${PROVIDER}/workspaces/datastores`,
    properties: {
      description,
      tags: {},
      properties: {},
      isDefault,
      credentials: { credentialsType: 'AccountKey' },
      datastoreType: 'AzureBlob',
      accountName: storage.accountName,
      containerName,
      endpoint: storage.endpointSuffix,
      protocol: 'https',
      serviceDataAccessAuthIdentity: 'None',
    },
    systemData: svc.createdSystemData,
  });
  return [
    make('workspaceblobstore', storage.defaultContainer, true, 'Default blob datastore of the workspace'),
    make('workspaceartifactstore', storage.artifactsContainer, false, 'Run artifacts and logs of the workspace'),
  ];
}

/** Container behind a datastore name, or undefined. */
export function datastoreContainer(svc: AzureMlService, name: string): string | undefined {
  if (name === 'workspaceblobstore') return svc.ctx.storage.defaultContainer;
  if (name === 'workspaceartifactstore') return svc.ctx.storage.artifactsContainer;
  return undefined;
}

/** The read-only computes every emulated workspace has. */
export function seedComputes(svc: Pick<AzureMlService, 'scope' | 'createdSystemData'>): Map<string, Json> {
  const { scope } = svc;
  const created = svc.createdSystemData.createdAt;
  const aml = (name: string, vmSize: string, maxNodeCount: number, description: string): Json => ({
    id: scope.computeId(name),
    name,
    type: `${PROVIDER}/workspaces/computes`,
    location: scope.location,
    tags: {},
    properties: {
      computeType: 'AmlCompute',
      computeLocation: scope.location,
      description,
      provisioningState: 'Succeeded',
      createdOn: created,
      modifiedOn: created,
      resourceId: null,
      provisioningErrors: null,
      isAttachedCompute: false,
      disableLocalAuth: true,
      properties: {
        osType: 'Linux',
        vmSize,
        vmPriority: 'Dedicated',
        virtualMachineImage: null,
        isolatedNetwork: false,
        subnet: null,
        scaleSettings: { maxNodeCount, minNodeCount: 0, nodeIdleTimeBeforeScaleDown: 'PT2M' },
        remoteLoginPortPublicAccess: 'Disabled',
        allocationState: 'Steady',
        allocationStateTransitionTime: created,
        errors: null,
        currentNodeCount: 0,
        targetNodeCount: 0,
        nodeStateCounts: { idleNodeCount: 0, runningNodeCount: 0, preparingNodeCount: 0, unusableNodeCount: 0, leavingNodeCount: 0, preemptedNodeCount: 0 },
        enableNodePublicIp: true,
        propertyBag: null,
      },
    },
    systemData: svc.createdSystemData,
  });
  const { subscriptionId, resourceGroup } = scope.config;
  const kubernetes: Json = {
    id: scope.computeId('k8s-compute'),
    name: 'k8s-compute',
    type: `${PROVIDER}/workspaces/computes`,
    location: scope.location,
    tags: {},
    properties: {
      computeType: 'Kubernetes',
      computeLocation: scope.location,
      description: 'Attached AKS cluster',
      provisioningState: 'Succeeded',
      createdOn: created,
      modifiedOn: created,
      resourceId: `/subscriptions/${subscriptionId}/resourcegroups/${resourceGroup}/providers/Microsoft.ContainerService/managedClusters/aks-mlops`,
      provisioningErrors: null,
      isAttachedCompute: true,
      disableLocalAuth: true,
      properties: {
        namespace: 'azureml',
        extensionInstanceReleaseTrain: 'stable',
        defaultInstanceType: 'defaultinstancetype',
        instanceTypes: {
          defaultinstancetype: { nodeSelector: null, resources: { requests: { cpu: '1', memory: '4Gi' }, limits: { cpu: '2', memory: '8Gi' } } },
        },
      },
    },
    systemData: svc.createdSystemData,
  };
  return new Map<string, Json>([
    ['cpu-cluster', aml('cpu-cluster', 'STANDARD_DS3_V2', 4, 'CPU training cluster')],
    ['gpu-cluster', aml('gpu-cluster', 'STANDARD_NC6S_V3', 2, 'GPU training cluster')],
    ['k8s-compute', kubernetes],
  ]);
}
