import { createHash } from 'node:crypto';
import type { EmulatorOptions } from './api';
import type { EmulatorConfig } from './context';

/** Fixed ids so that logs, docs and manual sessions read the same from one run to the next. */
export const DEFAULT_TENANT_ID = '4d1c2f7a-8b3e-4f60-9a15-c2e7d8b90f31';
export const DEFAULT_SUBSCRIPTION_ID = '9b6e3a52-1f0d-4c7b-8e24-5d3f6a7c1e08';

/** The emulated world, from the options a caller gave and the documented defaults. */
export function buildConfig(options: EmulatorOptions): EmulatorConfig {
  const accessTokenLifetimeSeconds = positiveInteger('accessTokenLifetimeSeconds', options.accessTokenLifetimeSeconds, 3600);
  const oidcTokenLifetimeSeconds = positiveInteger('oidcTokenLifetimeSeconds', options.oidcTokenLifetimeSeconds, 600);
  const jobStepDelayMs = nonNegative('jobStepDelayMs', options.jobStepDelayMs, 150);
  const lroRetryAfterSeconds =
    options.lroRetryAfterSeconds === undefined ? undefined : nonNegative('lroRetryAfterSeconds', options.lroRetryAfterSeconds, 0);
  const subscriptionId = DEFAULT_SUBSCRIPTION_ID;
  const resourceGroup = 'mlops-rg';
  const workspaceName = 'mlops-ws';
  return {
    tenantId: DEFAULT_TENANT_ID,
    subscriptionId,
    subscriptionName: 'MLOps emulated subscription',
    resourceGroup,
    workspaceName,
    workspaceId: uuidFrom(`/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/workspaces/${workspaceName}`),
    location: 'westeurope',
    armApiVersion: '2022-10-01',
    accessTokenLifetimeSeconds,
    oidcTokenLifetimeSeconds,
    lroRetryAfterSeconds,
    jobStepDelayMs,
  };
}

/** Name of the workspace's storage account: lower-case letters and digits, at most 24, stable for a workspace. */
export function storageAccountName(config: EmulatorConfig): string {
  const prefix = config.workspaceName.toLowerCase().replace(/[^a-z0-9]/g, '').slice(0, 14);
  return `${prefix}${config.workspaceId.replace(/-/g, '').slice(0, 24 - prefix.length)}`.slice(0, 24);
}

/** Container of the workspace's default blob datastore, named as Azure ML names it. */
export function defaultDatastoreContainer(config: EmulatorConfig): string {
  return `azureml-blobstore-${config.workspaceId}`;
}

/** A name-based UUID (version 5 layout over SHA-1), so the same resource always gets the same GUID. */
export function uuidFrom(seed: string): string {
  const h = createHash('sha1').update(seed).digest('hex');
  const variant = ((parseInt(h.slice(16, 17), 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) throw new Error(`EmulatorOptions.${name} must be a positive whole number of seconds, got ${value}.`);
  return value;
}

function nonNegative(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0) throw new Error(`EmulatorOptions.${name} must be zero or more, got ${value}.`);
  return value;
}
