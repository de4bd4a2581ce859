/**
 * Online endpoints: create-or-update (idempotent, preserving what others set), traffic, delete. Endpoints are read and
 * written with API 2023-04-01 (ENDPOINT_API_VERSION) so that mirrored traffic survives every update.
 */
import { AzureRequestError } from '../azure/rest';
import { onlineEndpointPath, type OnlineEndpointResource } from '../azureml/endpoints';
import { TaskError } from '../pipeline/errors';
import { info } from '../pipeline/logging';
import { redactSecrets } from '../pipeline/secrets';
import { DeployWorkspace, ENDPOINT_API_VERSION, isBusy, type OperationOutcome, waitForOperation, waitUntilIdle } from './arm';
import { changedPaths, isObject, mergeInto, withoutReadOnly } from './merge';
import type { EndpointSpec, JsonObject } from './types';

/** Objects replaced whole on update (one setting each). */
const ENDPOINT_ATOMIC_PATHS = ['properties.traffic', 'properties.mirrorTraffic', 'identity'];

export function endpointLabel(endpointName: string): string {
  return `Online endpoint '${endpointName}'`;
}

/** GET of the endpoint (API 2023-04-01: with mirrorTraffic); undefined when it does not exist. */
export async function readEndpoint(workspace: DeployWorkspace, endpointName: string, signal?: AbortSignal): Promise<OnlineEndpointResource | undefined> {
  const response = await workspace.armRequest<OnlineEndpointResource>('GET', onlineEndpointPath(workspace, endpointName), undefined, {
    abortSignal: signal,
    apiVersion: ENDPOINT_API_VERSION,
    allowedStatuses: [404],
  });
  return response.status === 404 ? undefined : response.body;
}

/** The ARM id of the spec's Kubernetes compute in this workspace (undefined for managed endpoints). */
export function kubernetesComputeId(workspace: Pick<DeployWorkspace, 'workspaceArmPath'>, spec: EndpointSpec): string | undefined {
  if (spec.computeType !== 'Kubernetes' || !spec.kubernetesCompute) return undefined;
  const text = spec.kubernetesCompute.value.replace(/^azureml:/i, '');
  if (/^\/subscriptions\//i.test(text)) return text;
  return `${workspace.workspaceArmPath}/computes/${text}`;
}

/**
 * Refuses (with the spec's source named) to turn an existing endpoint into another kind: the compute of an endpoint
 * never changes. Called before anything is written (resolveDeployment with `endpoint`) and again before a PUT.
 */
export function checkEndpointCompatible(workspace: Pick<DeployWorkspace, 'workspaceArmPath'>, existing: OnlineEndpointResource, spec: EndpointSpec): void {
  const existingCompute = (existing.properties as JsonObject | undefined)?.['compute'];
  const existingType = typeof existingCompute === 'string' && existingCompute !== '' ? 'Kubernetes' : 'Managed';
  if (existingType !== spec.computeType) {
    throw new TaskError(
      `${endpointLabel(spec.name)} already exists as a ${existingType} endpoint; it cannot become a ${spec.computeType} endpoint (the compute of an endpoint never changes). ` +
        `Deploy to another endpoint name, or set the compute type to ${existingType}.`,
    );
  }
  const wanted = kubernetesComputeId(workspace, spec);
  if (wanted && typeof existingCompute === 'string' && wanted.toLowerCase() !== existingCompute.toLowerCase()) {
    spec.kubernetesCompute!.fail(
      `names the compute '${wanted.split('/').pop()}', but the endpoint '${spec.name}' already runs on '${existingCompute.split('/').pop()}'`,
      `Use '${existingCompute.split('/').pop()}', or deploy to another endpoint name`,
    );
  }
}

export interface CreateOrUpdateEndpointOptions {
  readonly signal: AbortSignal;
  /**
   * Default true: the traffic (live and mirrored) is left as it is, whatever the spec says; change it with
   * setEndpointTraffic once the deployments exist. False: the spec's `traffic`/`mirrorTraffic` are applied too.
   */
  readonly keepTraffic?: boolean;
}

/**
 * Create-or-update, idempotent. GETs the endpoint; a new one is created with the spec's fields, the workspace's
 * location, authMode Key unless stated, a system-assigned identity and no traffic. An existing one gets the spec's
 * fields merged into what the service answered (fields the spec does not state, tags it does not name, and fields
 * this library does not know are kept) and is PUT only when something changes, or when its last provisioning Failed
 * (a re-run retries it). Waits for the operation.
 * `changed`: whether anything was sent. Logs one line saying what happened.
 */
export async function createOrUpdateEndpoint(
  workspace: DeployWorkspace,
  spec: EndpointSpec,
  options: CreateOrUpdateEndpointOptions,
): Promise<{ endpoint: OnlineEndpointResource; created: boolean; changed: boolean }> {
  const { signal } = options;
  const keepTraffic = options.keepTraffic ?? true;
  const label = endpointLabel(spec.name);
  const path = onlineEndpointPath(workspace, spec.name);
  let existing = await readEndpoint(workspace, spec.name, signal);
  if (existing && isBusy(existing.properties?.provisioningState)) {
    await waitUntilIdle(async () => (existing = await readEndpoint(workspace, spec.name, signal))?.properties?.provisioningState, label, { signal });
  }

  const ours: JsonObject = structuredClone(spec.body);
  const properties = (ours['properties'] ??= {}) as JsonObject;
  const compute = kubernetesComputeId(workspace, spec);
  if (compute) properties['compute'] = compute;
  let body: JsonObject;
  let changes: string[];
  if (!existing) {
    properties['authMode'] ??= 'Key';
    // A new endpoint has no deployments yet: any traffic would name a missing one.
    properties['traffic'] = {};
    body = { location: workspace.workspace.location ?? '', identity: { type: 'SystemAssigned' }, ...ours, properties };
    changes = ['(new endpoint)'];
  } else {
    checkEndpointCompatible(workspace, existing, spec);
    delete properties['traffic'];
    delete properties['mirrorTraffic'];
    if (!keepTraffic) {
      if (spec.traffic) properties['traffic'] = { ...spec.traffic };
      if (spec.mirrorTraffic) properties['mirrorTraffic'] = { ...spec.mirrorTraffic };
    }
    const base = withoutReadOnly(existing);
    changes = changedPaths(base, ours, ENDPOINT_ATOMIC_PATHS);
    body = mergeInto(base, ours, ENDPOINT_ATOMIC_PATHS);
    // A deployment cannot go to an endpoint whose provisioning failed: a re-run PUTs it again, as deployments do.
    if (changes.length === 0 && existing.properties?.provisioningState?.toLowerCase() === 'failed') changes = ['(its last provisioning failed: retrying)'];
  }
  if (existing && changes.length === 0) {
    info(`${label}: unchanged (${describeEndpoint(existing)}); nothing sent.`);
    return { endpoint: existing, created: false, changed: false };
  }

  const first = await putEndpoint(workspace, path, body, label, signal);
  const outcome = await waitForOperation(workspace, first, {
    signal,
    label,
    readState: async () => (await readEndpoint(workspace, spec.name, signal))?.properties?.provisioningState,
  });
  if (outcome.status !== 'Succeeded') {
    throw operationFailure(label, existing ? 'the update' : 'the creation', outcome);
  }
  const endpoint = (await readEndpoint(workspace, spec.name, signal)) ?? (first.body as OnlineEndpointResource);
  info(existing ? `${label}: updated (${changes.join(', ')}).` : `${label}: created (${describeEndpoint(endpoint)}).`);
  return { endpoint, created: !existing, changed: true };
}

async function putEndpoint(workspace: DeployWorkspace, path: string, body: JsonObject, label: string, signal: AbortSignal) {
  try {
    return await workspace.armRequest<OnlineEndpointResource>('PUT', path, body, { abortSignal: signal, apiVersion: ENDPOINT_API_VERSION });
  } catch (error) {
    throw refused(error, label);
  }
}

/**
 * A refused write as one readable TaskError: what, status, the service's own words. Those words are quoted raw by
 * AzureRequestError (only its message is masked), so registered secrets are masked here too.
 */
export function refused(error: unknown, label: string): unknown {
  if (!(error instanceof AzureRequestError)) return error;
  if (error.status === 409) {
    return new TaskError(redactSecrets(`${label}: Azure ML refused the change because another operation on it is running (HTTP 409${error.code ? ` ${error.code}` : ''}): ${error.serviceMessage} Run the task again once it has finished.`), { cause: error });
  }
  return new TaskError(redactSecrets(`${label}: Azure ML refused the request (${error.method}, HTTP ${error.status}${error.code ? ` ${error.code}` : ''}): ${error.serviceMessage}`), { cause: error });
}

/** An operation that ended Failed or Canceled, with the service's code and words (registered secrets masked). */
export function operationFailure(label: string, what: string, outcome: OperationOutcome): TaskError {
  return new TaskError(redactSecrets(`${label}: ${what} ended ${outcome.status}${outcome.code ? ` (${outcome.code})` : ''}: ${(outcome.message ?? 'the service gave no reason').trim().replace(/\.$/, '')}.`));
}

function describeEndpoint(endpoint: OnlineEndpointResource): string {
  const p = endpoint.properties ?? {};
  const compute = (p as JsonObject)['compute'];
  return `${p.authMode ?? 'Key'} authentication, ${typeof compute === 'string' && compute ? `Kubernetes compute ${compute.split('/').pop()}` : 'managed'}`;
}

export interface EndpointTraffic {
  readonly traffic: Record<string, number>;
  readonly mirrorTraffic: Record<string, number>;
  readonly provisioningState?: string;
}

/** Live and mirrored traffic of an endpoint; a TaskError when it does not exist. */
export async function getEndpointTraffic(workspace: DeployWorkspace, endpointName: string, signal?: AbortSignal): Promise<EndpointTraffic> {
  const endpoint = await readEndpoint(workspace, endpointName, signal);
  if (!endpoint) throw new TaskError(`${endpointLabel(endpointName)} does not exist in the workspace.`);
  return trafficOf(endpoint);
}

export function trafficOf(endpoint: OnlineEndpointResource): EndpointTraffic {
  const p = endpoint.properties ?? {};
  return {
    traffic: { ...(p.traffic ?? {}) },
    mirrorTraffic: { ...(p.mirrorTraffic ?? {}) },
    ...(p.provisioningState ? { provisioningState: p.provisioningState } : {}),
  };
}

/**
 * Sets the live traffic (and, when given, the mirrored traffic; otherwise the mirror setting is kept) with raw requests
 * in API 2023-04-01, PUTting back every other field as the service answered it; waits for the update. Refuses with
 * a TaskError when the endpoint is being updated (provisioningState busy, or a 409). Does nothing when the traffic is
 * already so. The service checks the rules (sums to 100 or 0, deployments exist and have provisioned, mirror at most
 * 50 % to a deployment without live traffic): its refusal becomes a TaskError with its words.
 */
export async function setEndpointTraffic(
  workspace: DeployWorkspace,
  endpointName: string,
  traffic: Readonly<Record<string, number>>,
  options: { mirrorTraffic?: Readonly<Record<string, number>>; signal: AbortSignal },
): Promise<OnlineEndpointResource> {
  const { signal } = options;
  const label = endpointLabel(endpointName);
  const existing = await readEndpoint(workspace, endpointName, signal);
  if (!existing) throw new TaskError(`${label} does not exist in the workspace: its traffic cannot be set.`);
  const state = existing.properties?.provisioningState;
  if (isBusy(state)) {
    throw new TaskError(`${label} is ${state}: another operation on it is running, so its traffic was not changed. Run the task again once that operation has finished.`);
  }
  const current = trafficOf(existing);
  const mirror = options.mirrorTraffic ?? current.mirrorTraffic;
  if (sameShares(current.traffic, traffic) && sameShares(current.mirrorTraffic, mirror)) {
    info(`${label}: traffic already ${formatTraffic(traffic)}${Object.keys(mirror).length ? `, mirror ${formatTraffic(mirror)}` : ''}; nothing sent.`);
    return existing;
  }
  const body = withoutReadOnly(existing);
  const properties = (isObject(body['properties']) ? body['properties'] : (body['properties'] = {})) as JsonObject;
  properties['traffic'] = { ...traffic };
  properties['mirrorTraffic'] = { ...mirror };
  const first = await putEndpoint(workspace, onlineEndpointPath(workspace, endpointName), body, label, signal);
  const outcome = await waitForOperation(workspace, first, { signal, label });
  if (outcome.status !== 'Succeeded') {
    throw operationFailure(label, 'the traffic update', outcome);
  }
  info(`${label}: traffic ${formatTraffic(current.traffic)} -> ${formatTraffic(traffic)}${options.mirrorTraffic ? `; mirror ${formatTraffic(current.mirrorTraffic)} -> ${formatTraffic(mirror)}` : ''}.`);
  return (await readEndpoint(workspace, endpointName, signal)) ?? existing;
}

/** `blue=90, green=10` (`none` when empty); zero shares are shown. */
export function formatTraffic(traffic: Readonly<Record<string, number>>): string {
  const entries = Object.entries(traffic).sort(([a], [b]) => a.localeCompare(b));
  return entries.length === 0 ? 'none' : entries.map(([name, percent]) => `${name}=${percent}%`).join(', ');
}

/** Equal shares, zero entries and name case aside. */
export function sameShares(a: Readonly<Record<string, number>>, b: Readonly<Record<string, number>>): boolean {
  const normalize = (shares: Readonly<Record<string, number>>): string =>
    JSON.stringify(Object.entries(shares).filter(([, p]) => p > 0).map(([n, p]) => [n.toLowerCase(), p]).sort(([x], [y]) => String(x).localeCompare(String(y))));
  return normalize(a) === normalize(b);
}

/**
 * The traffic after giving `deployment` `percent` % of the live traffic: the other deployments share the rest in
 * proportion to what they had (whole numbers, summing to 100; the largest remainders get the spare points). With no
 * other deployment taking traffic, `percent` must be 100 (or 0: then no deployment takes any). Throws a TaskError
 * when the shares cannot sum to 100.
 */
export function rebalanceTraffic(current: Readonly<Record<string, number>>, deployment: string, percent: number): Record<string, number> {
  if (!Number.isInteger(percent) || percent < 0 || percent > 100) throw new TaskError(`A traffic share is a whole number from 0 to 100, not ${percent}.`);
  const isOurs = (name: string): boolean => name.toLowerCase() === deployment.toLowerCase();
  const others = Object.entries(current).filter(([name, p]) => !isOurs(name) && p > 0);
  const othersTotal = others.reduce((sum, [, p]) => sum + p, 0);
  const rest = 100 - percent;
  if (others.length === 0 && percent !== 100 && percent !== 0) {
    throw new TaskError(
      `Deployment '${deployment}' cannot take ${percent}% of the traffic: no other deployment of the endpoint takes any, and the live traffic must sum to 100 (or 0). ` +
        'Give it 100, or 0 (test it through the azureml-model-deployment header).',
    );
  }
  const result: Record<string, number> = {};
  // Zero entries are kept as they are (the service answers them), so the map names every deployment it did.
  for (const [name, p] of Object.entries(current)) if (p === 0 || isOurs(name)) result[name] = 0;
  if (others.length > 0) {
    const remainders: Array<[string, number]> = [];
    let assigned = 0;
    for (const [name, p] of others) {
      const exact = (p * rest) / othersTotal;
      result[name] = Math.floor(exact);
      assigned += result[name]!;
      remainders.push([name, exact - Math.floor(exact)]);
    }
    remainders.sort(([a, ra], [b, rb]) => rb - ra || a.localeCompare(b));
    for (let i = 0; assigned < rest; i++, assigned++) result[remainders[i % remainders.length]![0]]! += 1;
  }
  for (const name of Object.keys(result)) if (isOurs(name)) delete result[name];
  if (percent > 0 || Object.keys(current).some(isOurs)) result[deployment] = percent;
  return result;
}

/**
 * Deletes the endpoint and every deployment on it, and waits. Nothing to do when it does not exist. Refuses with a
 * TaskError when another operation is running on it.
 */
export async function deleteEndpoint(workspace: DeployWorkspace, endpointName: string, signal: AbortSignal): Promise<void> {
  const label = endpointLabel(endpointName);
  let first;
  try {
    first = await workspace.armRequest('DELETE', onlineEndpointPath(workspace, endpointName), undefined, { abortSignal: signal, apiVersion: ENDPOINT_API_VERSION });
  } catch (error) {
    throw refused(error, label);
  }
  if (first.status === 204) {
    info(`${label}: does not exist; nothing to delete.`);
    return;
  }
  const outcome = await waitForOperation(workspace, first, { signal, label });
  if (outcome.status !== 'Succeeded') throw operationFailure(label, 'the deletion', outcome);
  info(`${label}: deleted, with its deployments.`);
}
