/**
 * Online deployments: create-or-update (idempotent, preserving what others set, waiting for provisioning; a failure
 * comes with the containers' logs) and delete.
 */
import { onlineDeploymentPath, type OnlineDeploymentResource } from '../azureml/endpoints';
import { TaskError } from '../pipeline/errors';
import { info } from '../pipeline/logging';
import { redactSecrets } from '../pipeline/secrets';
import { DEPLOYMENT_API_VERSION, type DeployWorkspace, isBusy, waitForOperation, waitUntilIdle } from './arm';
import { formatTraffic, operationFailure, readEndpoint, rebalanceTraffic, refused, setEndpointTraffic, trafficOf } from './endpoints';
import { fetchDeploymentLogs, lastErrorLine, printDeploymentLogs } from './logs';
import { changedPaths, mergeInto, withoutReadOnly } from './merge';
import type { DeploymentLogs, JsonObject, ResolvedDeployment } from './types';

/** Objects replaced whole on update (one setting each). */
const DEPLOYMENT_ATOMIC_PATHS = ['properties.environmentVariables', 'properties.codeConfiguration', 'properties.scaleSettings', 'identity'];

export function deploymentLabel(endpointName: string, deploymentName: string): string {
  return `Deployment '${deploymentName}' of endpoint '${endpointName}'`;
}

/**
 * A deployment that ended Failed. The message has the service's error and, when the inference server's log has one,
 * its last error line; `logs` has both containers' logs (already printed into the task log unless asked otherwise).
 */
export class DeploymentFailedError extends TaskError {
  constructor(
    message: string,
    readonly logs: DeploymentLogs,
    /** The service's error code (e.g. DeploymentFailed, ResourceNotReady). */
    readonly code: string | undefined,
  ) {
    super(message);
    this.name = 'DeploymentFailedError';
  }
}

/** GET of the deployment; undefined when it (or its endpoint) does not exist. */
export async function readDeployment(workspace: DeployWorkspace, endpointName: string, deploymentName: string, signal?: AbortSignal): Promise<OnlineDeploymentResource | undefined> {
  const response = await workspace.armRequest<OnlineDeploymentResource>('GET', onlineDeploymentPath(workspace, endpointName, deploymentName), undefined, {
    abortSignal: signal,
    apiVersion: DEPLOYMENT_API_VERSION,
    allowedStatuses: [404],
  });
  return response.status === 404 ? undefined : response.body;
}

export interface CreateOrUpdateDeploymentOptions {
  readonly signal: AbortSignal;
  /** Default true: on failure the logs are printed (printDeploymentLogs) before DeploymentFailedError is thrown. */
  readonly printLogsOnFailure?: boolean;
  /** Lines of each log fetched on failure (default 200). */
  readonly logTail?: number;
}

/**
 * Create-or-update, idempotent. GETs the deployment; a new one is created from `deployment.body` (location of the
 * workspace, sku Default with 1 instance unless stated). An existing one gets our fields merged into what the service
 * answered (fields we do not state, and fields this library does not know, are kept) and is PUT only when something
 * changes, or when its last provisioning Failed (a re-run retries it). Waits for provisioning; when it ends Failed,
 * fetches the inference server and storage initializer logs and throws DeploymentFailedError. The traffic is never
 * changed here. Logs one line saying what happened.
 */
export async function createOrUpdateDeployment(
  workspace: DeployWorkspace,
  endpointName: string,
  deployment: ResolvedDeployment,
  options: CreateOrUpdateDeploymentOptions,
): Promise<{ deployment: OnlineDeploymentResource; created: boolean; changed: boolean }> {
  const { signal } = options;
  const label = deploymentLabel(endpointName, deployment.name);
  const path = onlineDeploymentPath(workspace, endpointName, deployment.name);
  const read = (): Promise<OnlineDeploymentResource | undefined> => readDeployment(workspace, endpointName, deployment.name, signal);
  let existing = await read();
  if (existing && isBusy(existing.properties?.provisioningState)) {
    await waitUntilIdle(async () => (existing = await read())?.properties?.provisioningState, label, { signal });
  }

  const ours = structuredClone(deployment.body);
  let body: JsonObject;
  let changes: string[];
  if (!existing) {
    body = { location: workspace.workspace.location ?? '', sku: { name: 'Default', capacity: 1 }, ...ours };
    changes = ['(new deployment)'];
  } else {
    checkImmutable(existing, ours, label);
    const base = withoutReadOnly(existing);
    changes = changedPaths(base, ours, DEPLOYMENT_ATOMIC_PATHS);
    body = mergeInto(base, ours, DEPLOYMENT_ATOMIC_PATHS);
    if (changes.length === 0 && existing.properties?.provisioningState?.toLowerCase() === 'failed') changes = ['(its last provisioning failed: retrying)'];
  }
  if (existing && changes.length === 0) {
    info(`${label}: unchanged (${describeDeployment(existing)}); nothing sent.`);
    return { deployment: existing, created: false, changed: false };
  }

  info(existing ? `${label}: updating (${changes.join(', ')}).` : `${label}: creating (${describeBody(body)}).`);
  let first;
  try {
    first = await workspace.armRequest<OnlineDeploymentResource>('PUT', path, body, { abortSignal: signal, apiVersion: DEPLOYMENT_API_VERSION });
  } catch (error) {
    throw refused(error, label);
  }
  const started = Date.now();
  const outcome = await waitForOperation(workspace, first, { signal, label, readState: async () => (await read())?.properties?.provisioningState });
  if (outcome.status !== 'Succeeded') {
    const logs = await fetchDeploymentLogs(workspace, endpointName, deployment.name, { tail: options.logTail ?? 200, signal });
    if (options.printLogsOnFailure ?? true) printDeploymentLogs(logs);
    const lastError = lastErrorLine(logs.inferenceServer);
    throw new DeploymentFailedError(
      redactSecrets(
        `${label} ${outcome.status === 'Failed' ? 'failed' : 'was canceled'}${outcome.code ? ` (${outcome.code})` : ''}: ${(outcome.message ?? 'the service gave no reason').trim().replace(/\.$/, '')}.` +
          (lastError ? ` Last error in the inference server log: ${/[.!?]$/.test(lastError) ? lastError : `${lastError}.`}` : '') +
          ' The inference server and storage initializer logs are in the task log above.',
      ),
      logs,
      outcome.code,
    );
  }
  const result = (await read()) ?? (first.body as OnlineDeploymentResource);
  info(`${label}: ${existing ? 'updated' : 'created'} and provisioned in ${Math.max(1, Math.round((Date.now() - started) / 1000))}s.`);
  return { deployment: result, created: !existing, changed: true };
}

/** The instance type and compute type of a deployment never change (the service refuses): say so before any write. */
export function checkImmutable(existing: OnlineDeploymentResource, ours: JsonObject, label: string): void {
  const wanted = (ours['properties'] as JsonObject | undefined) ?? {};
  const has = existing.properties as JsonObject | undefined;
  for (const [field, fix] of [
    ['instanceType', 'Keep the instance type, or deploy under another deployment name (then move the traffic and delete the old one)'],
    ['endpointComputeType', 'A deployment is of the kind of its endpoint'],
  ] as const) {
    const before = has?.[field];
    const after = wanted[field];
    if (typeof before === 'string' && typeof after === 'string' && before.toLowerCase() !== after.toLowerCase()) {
      throw new TaskError(`${label} exists with ${field} ${before}, which cannot be changed to ${after}. ${fix}.`);
    }
  }
}

function describeDeployment(deployment: OnlineDeploymentResource): string {
  const p = deployment.properties as JsonObject | undefined;
  const sku = (deployment as { sku?: { capacity?: number } }).sku;
  const model = typeof p?.['model'] === 'string' ? modelLabel(p['model'] as string) : 'no model';
  return `${model}, ${sku?.capacity ?? 1} x ${String(p?.['instanceType'] ?? 'default instance type')}, ${String(p?.['provisioningState'] ?? 'unknown state')}`;
}

function describeBody(body: JsonObject): string {
  const p = (body['properties'] as JsonObject | undefined) ?? {};
  const sku = body['sku'] as { capacity?: number } | undefined;
  const model = typeof p['model'] === 'string' ? modelLabel(p['model']) : 'no model';
  return `${model}, ${sku?.capacity ?? 1} x ${String(p['instanceType'] ?? 'default instance type')}`;
}

/** `model diabetes:3` from a model version ARM id. */
function modelLabel(id: string): string {
  const match = /\/models\/([^/]+)\/versions\/([^/]+)$/i.exec(id);
  return match ? `model ${match[1]}:${match[2]}` : `model ${id}`;
}

export interface DeleteDeploymentOptions {
  /**
   * Default false: a deployment that takes live or mirrored traffic is not deleted (TaskError; the service refuses
   * too). True: its live share is first given to the other deployments (rebalanceTraffic) and its mirror removed.
   */
  readonly removeTraffic?: boolean;
}

/** Deletes a deployment and waits. Nothing to do when it (or its endpoint) does not exist. */
export async function deleteDeployment(
  workspace: DeployWorkspace,
  endpointName: string,
  deploymentName: string,
  signal: AbortSignal,
  options: DeleteDeploymentOptions = {},
): Promise<void> {
  const label = deploymentLabel(endpointName, deploymentName);
  const endpoint = await readEndpoint(workspace, endpointName, signal);
  if (!endpoint || !(await readDeployment(workspace, endpointName, deploymentName, signal))) {
    info(`${label}: does not exist; nothing to delete.`);
    return;
  }
  const { traffic, mirrorTraffic } = trafficOf(endpoint);
  const live = shareOf(traffic, deploymentName);
  const mirrored = shareOf(mirrorTraffic, deploymentName);
  if (live > 0 || mirrored > 0) {
    if (!options.removeTraffic) {
      throw new TaskError(
        `${label} was not deleted: it takes ${live > 0 ? `${live}% of the live traffic` : `${mirrored}% of the mirrored traffic`} (${formatTraffic(traffic)}). Move its traffic to another deployment first.`,
      );
    }
    // Its entry goes too: it is about to be deleted.
    const newTraffic = Object.fromEntries(Object.entries(live > 0 ? rebalanceTraffic(traffic, deploymentName, 0) : traffic).filter(([name]) => name.toLowerCase() !== deploymentName.toLowerCase()));
    const newMirror = Object.fromEntries(Object.entries(mirrorTraffic).filter(([name]) => name.toLowerCase() !== deploymentName.toLowerCase()));
    await setEndpointTraffic(workspace, endpointName, newTraffic, { mirrorTraffic: newMirror, signal });
  }
  let first;
  try {
    first = await workspace.armRequest('DELETE', onlineDeploymentPath(workspace, endpointName, deploymentName), undefined, { abortSignal: signal, apiVersion: DEPLOYMENT_API_VERSION });
  } catch (error) {
    throw refused(error, label);
  }
  if (first.status !== 204) {
    const outcome = await waitForOperation(workspace, first, { signal, label });
    if (outcome.status !== 'Succeeded') throw operationFailure(label, 'the deletion', outcome);
  }
  info(`${label}: deleted.`);
}

function shareOf(shares: Readonly<Record<string, number>>, deployment: string): number {
  return Object.entries(shares).reduce((sum, [name, p]) => (name.toLowerCase() === deployment.toLowerCase() ? sum + p : sum), 0);
}
