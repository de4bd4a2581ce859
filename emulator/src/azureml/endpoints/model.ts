import type { Json, SystemData } from '../resources';
import type { DeploymentSpec } from './runtime';

/** EndpointProvisioningState of the 2022-10-01 API. */
export type EndpointState = 'Creating' | 'Deleting' | 'Succeeded' | 'Failed' | 'Updating' | 'Canceled';
/** DeploymentProvisioningState of the 2022-10-01 API. */
export type DeploymentState = 'Creating' | 'Deleting' | 'Scaling' | 'Updating' | 'Succeeded' | 'Failed' | 'Canceled';

export type AuthMode = 'Key' | 'AMLToken' | 'AADToken';
export type ComputeType = 'Managed' | 'Kubernetes';

/** Percent of the endpoint's traffic per deployment name. */
export type TrafficMap = Record<string, number>;

export interface EndpointKeys {
  primaryKey: string;
  secondaryKey: string;
}

export interface EndpointRecord {
  /** The name as created (lookups are case-insensitive, as ARM names are). */
  readonly name: string;
  readonly location: string;
  /** Managed, or Kubernetes when the endpoint names a Kubernetes compute. */
  readonly computeType: ComputeType;
  /** ARM id of the Kubernetes compute (Kubernetes endpoints only). */
  readonly compute?: string;
  kind: string;
  tags: Record<string, string>;
  /** The identity as GET answers it (principal ids filled in). */
  identity: Json;
  authMode: AuthMode;
  description: string | null;
  properties: Record<string, string>;
  publicNetworkAccess: string;
  traffic: TrafficMap;
  /** Live traffic copied to a deployment (API versions after 2022-10-01). */
  mirrorTraffic: TrafficMap;
  sku?: Json;
  provisioningState: EndpointState;
  keys: EndpointKeys;
  /** Tokens the `token` action issued (AMLToken endpoints), by SHA-256 digest, with their expiry (epoch seconds). */
  readonly issuedTokens: Map<string, number>;
  systemData: SystemData;
  /** Deployments by lower-cased name. */
  readonly deployments: Map<string, DeploymentRecord>;
}

export interface DeploymentRecord {
  readonly name: string;
  readonly endpointName: string;
  readonly computeType: ComputeType;
  location: string;
  kind: string;
  tags: Record<string, string>;
  sku: Json;
  identity?: Json;
  /** Properties as GET answers them, without provisioningState. */
  properties: Json;
  provisioningState: DeploymentState;
  /** What the runtime runs. */
  spec: DeploymentSpec;
  systemData: SystemData;
  /** Aborts the provisioning in progress (the deployment or its endpoint is being deleted). */
  provisioning?: AbortController;
}

/** States in which an operation is running: another one is refused with 409, as the service does. */
export function isBusy(state: EndpointState | DeploymentState): boolean {
  return state === 'Creating' || state === 'Updating' || state === 'Deleting' || state === 'Scaling';
}
