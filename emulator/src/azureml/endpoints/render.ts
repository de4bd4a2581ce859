import type { Json } from '../resources';
import { PROVIDER } from '../scope';
import type { AzureMlService } from '../service';
import type { DeploymentRecord, EndpointRecord } from './model';

/** The api-versions the online endpoint routes serve: 2022-10-01, and 2023-04-01, the first with mirrorTraffic. */
export const ENDPOINT_API_VERSIONS: readonly string[] = ['2022-10-01', '2023-04-01'];

/** Whether an api-version's contract has properties.mirrorTraffic (2022-10-01's does not, and forbids extra fields). */
export function hasMirrorTraffic(apiVersion: string | null): boolean {
  return apiVersion !== null && apiVersion > '2022-10-01';
}

/** `https://<name>.<region>.inference.ml.azure.com/score` for managed endpoints; the cluster's router for Kubernetes ones. */
export function scoringBase(endpoint: EndpointRecord): string {
  const name = endpoint.name.toLowerCase();
  if (endpoint.computeType === 'Kubernetes') return `https://${computeName(endpoint)}.${endpoint.location}.cloudapp.azure.com/api/v1/endpoint/${name}`;
  return `https://${name}.${endpoint.location}.inference.ml.azure.com`;
}

export function endpointResource(svc: AzureMlService, endpoint: EndpointRecord, apiVersion: string | null): Json {
  const base = scoringBase(endpoint);
  const properties: Json = {
    description: endpoint.description,
    properties: endpoint.properties,
    scoringUri: `${base}/score`,
    swaggerUri: `${base}/swagger.json`,
    authMode: endpoint.authMode,
    provisioningState: endpoint.provisioningState,
    traffic: endpoint.traffic,
    publicNetworkAccess: endpoint.publicNetworkAccess,
  };
  if (endpoint.compute) properties['compute'] = endpoint.compute;
  if (hasMirrorTraffic(apiVersion)) properties['mirrorTraffic'] = endpoint.mirrorTraffic;
  return {
    id: svc.scope.childId('onlineEndpoints', endpoint.name),
    name: endpoint.name,
    type: `${PROVIDER}/workspaces/onlineEndpoints`,
    location: endpoint.location,
    tags: endpoint.tags,
    kind: endpoint.kind,
    identity: endpoint.identity,
    ...(endpoint.sku ? { sku: endpoint.sku } : {}),
    properties,
    systemData: endpoint.systemData,
  };
}

export function deploymentResource(svc: AzureMlService, endpoint: EndpointRecord, deployment: DeploymentRecord): Json {
  return {
    id: `${svc.scope.childId('onlineEndpoints', endpoint.name)}/deployments/${deployment.name}`,
    name: deployment.name,
    type: `${PROVIDER}/workspaces/onlineEndpoints/deployments`,
    location: deployment.location,
    tags: deployment.tags,
    kind: deployment.kind,
    sku: deployment.sku,
    ...(deployment.identity ? { identity: deployment.identity } : {}),
    properties: { ...deployment.properties, provisioningState: deployment.provisioningState },
    systemData: deployment.systemData,
  };
}

function computeName(endpoint: EndpointRecord): string {
  return (endpoint.compute ?? '').split('/').pop()!.toLowerCase();
}
