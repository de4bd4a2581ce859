/** Azure ML online endpoints and deployments (API 2022-10-01) as the tasks read them. */
import type { WorkspaceClient } from '../azure/workspace';
import { type ArmAccess, type ArmResource, getIfExists, listAll } from './resources';

export interface OnlineEndpointProperties {
  readonly authMode?: string;
  readonly scoringUri?: string | null;
  readonly swaggerUri?: string | null;
  readonly provisioningState?: string;
  /** Percentage of live traffic per deployment name. */
  readonly traffic?: Readonly<Record<string, number>> | null;
  /** Percentage of live traffic copied to a deployment (newer API versions; read when present). */
  readonly mirrorTraffic?: Readonly<Record<string, number>> | null;
  readonly description?: string | null;
  readonly properties?: Readonly<Record<string, string>> | null;
}

export interface OnlineDeploymentProperties {
  readonly endpointComputeType?: string;
  /** ARM id of the model version the deployment serves. */
  readonly model?: string | null;
  readonly environmentId?: string | null;
  readonly provisioningState?: string;
  readonly description?: string | null;
  readonly properties?: Readonly<Record<string, string>> | null;
}

export type OnlineEndpointResource = ArmResource<OnlineEndpointProperties>;
export type OnlineDeploymentResource = ArmResource<OnlineDeploymentProperties>;

export type EndpointAccess = ArmAccess & Pick<WorkspaceClient, 'workspaceArmPath'>;

export function onlineEndpointPath(workspace: Pick<WorkspaceClient, 'workspaceArmPath'>, endpointName: string): string {
  return `${workspace.workspaceArmPath}/onlineEndpoints/${encodeURIComponent(endpointName)}`;
}

export function onlineDeploymentPath(workspace: Pick<WorkspaceClient, 'workspaceArmPath'>, endpointName: string, deploymentName: string): string {
  return `${onlineEndpointPath(workspace, endpointName)}/deployments/${encodeURIComponent(deploymentName)}`;
}

/** The endpoint, or undefined when it does not exist. */
export function getOnlineEndpoint(workspace: EndpointAccess, endpointName: string, signal?: AbortSignal): Promise<OnlineEndpointResource | undefined> {
  return getIfExists<OnlineEndpointResource>(workspace, onlineEndpointPath(workspace, endpointName), signal);
}

export function getOnlineDeployment(workspace: EndpointAccess, endpointName: string, deploymentName: string, signal?: AbortSignal): Promise<OnlineDeploymentResource | undefined> {
  return getIfExists<OnlineDeploymentResource>(workspace, onlineDeploymentPath(workspace, endpointName, deploymentName), signal);
}

export function listOnlineDeployments(workspace: EndpointAccess, endpointName: string, signal?: AbortSignal): Promise<OnlineDeploymentResource[]> {
  return listAll<OnlineDeploymentResource>(workspace, `${onlineEndpointPath(workspace, endpointName)}/deployments`, signal);
}

/**
 * The deployment that takes the most live traffic (mirrored traffic does not count), or undefined when no deployment
 * takes any. Equal shares go to the name that sorts first, so the answer is stable; `tied` says it happened and
 * `tiedWith` names the other deployments with the same share.
 */
export function trafficLeader(
  endpoint: OnlineEndpointResource,
): { readonly deployment: string; readonly percent: number; readonly tied: boolean; readonly tiedWith: readonly string[] } | undefined {
  const shares = Object.entries(endpoint.properties?.traffic ?? {}).filter(([, percent]) => percent > 0);
  if (shares.length === 0) return undefined;
  shares.sort(([a, pa], [b, pb]) => pb - pa || a.localeCompare(b));
  const [deployment, percent] = shares[0]!;
  const tiedWith = shares.slice(1).filter(([, other]) => other === percent).map(([name]) => name);
  return { deployment, percent, tied: tiedWith.length > 0, tiedWith };
}
