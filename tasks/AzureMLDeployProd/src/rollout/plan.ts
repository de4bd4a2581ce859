/**
 * What a run does, decided from the action and the state found on the endpoint (pure; no network). Every refusal is
 * decided here, before anything is written, so a refused run changes nothing.
 *
 * | state found                              | deploy / canary                            | promote              | reject               |
 * |------------------------------------------|--------------------------------------------|----------------------|----------------------|
 * | no endpoint                              | first deployment (endpoint created)        | error                | error                |
 * | endpoint, no live traffic                | first deployment                           | nothing to do        | nothing to do        |
 * | a deployment serves, same model/env/code | unchanged: nothing written                 | nothing to do        | nothing to do        |
 * | a deployment serves, something differs   | rollout (canary: up to its percentage)     | nothing to do        | nothing to do        |
 * | rollout recorded, same content           | continue it                                | finish it            | roll it back         |
 * | rollout recorded, other content          | error: promote or reject it first          | finish it            | roll it back         |
 */
import { TaskError } from '@azureml-mlops/shared';

import { chooseCandidateName, isFree } from './naming';
import type { ReadRecord, RolloutRecord } from './record';
import { describeSplit, sameName, shareOf, type TrafficState } from './traffic';

export type RolloutAction = 'deploy' | 'canary' | 'promote' | 'reject';

/** Provisioning states in which another operation runs: the service refuses changes (409) until it ends. */
const BUSY_STATES = new Set(['creating', 'updating', 'deleting', 'scaling']);

export function isBusy(state: string | undefined): boolean {
  return state !== undefined && BUSY_STATES.has(state.toLowerCase());
}

export interface DeploymentState {
  readonly name: string;
  readonly provisioningState: string | undefined;
}

/** The endpoint as the run found it. */
export interface EndpointState {
  readonly name: string;
  readonly provisioningState: string | undefined;
  readonly computeType: 'Managed' | 'Kubernetes';
  readonly traffic: TrafficState;
  readonly record: ReadRecord;
  readonly deployments: readonly DeploymentState[];
}

/** What deploy and canary want to put in production. */
export interface DesiredDeployment {
  /** The name given in the deploymentName input: used as is (the user chose it). */
  readonly explicitName: string | undefined;
  /** The name in the deployment file, or undefined: a preference, blue/green alternation applies. */
  readonly fileName: string | undefined;
  /** Whether an existing deployment already runs exactly what is asked (model, environment, code, settings). */
  matches(deploymentName: string): boolean;
  /** The model, as messages show it. */
  readonly modelLabel: string | undefined;
}

export interface Settings {
  readonly action: RolloutAction;
  /** Where the rollout stops: 100, or the canary percentage. */
  readonly stopAt: number;
  readonly mirrorPercent: number;
  readonly startedBy: string | undefined;
  readonly now: () => Date;
  /** The compute type of the endpoint to create, when it does not exist (mirroring is refused on Kubernetes). */
  readonly newEndpointComputeType?: 'Managed' | 'Kubernetes';
  /** Input names for messages. */
  readonly inputs: { readonly deploymentName: string; readonly mirrorPercent: string; readonly endpointName: string; readonly action: string };
}

export type Plan =
  /** No deployment serves yet: create (the endpoint and) the deployment, smoke test it, give it all the traffic. */
  | { readonly kind: 'first'; readonly candidate: string; readonly createEndpoint: boolean; readonly before: TrafficState; readonly deployCandidate: boolean; readonly nameReason: string }
  /** The deployment serving production already runs what is asked: nothing to write. */
  | { readonly kind: 'unchanged'; readonly deployment: string }
  /** A rollout, new or continued (a recorded one). */
  | {
      readonly kind: 'rollout';
      readonly candidate: string;
      readonly previous: string | undefined;
      readonly before: TrafficState;
      /** The record to write before anything else; undefined when continuing a recorded rollout. */
      readonly newRecord: RolloutRecord | undefined;
      readonly resumed: boolean;
      /** False when the candidate already runs what is asked (continuing, or promote). */
      readonly deployCandidate: boolean;
      readonly stopAt: number;
      readonly nameReason: string;
    }
  /** Roll a recorded rollout back (reject). */
  | { readonly kind: 'reject'; readonly record: RolloutRecord; readonly candidateExists: boolean }
  /** Nothing to do (promote or reject without a rollout in progress; canary already at its percentage). */
  | { readonly kind: 'nothing'; readonly message: string; readonly deployment: string | undefined };

/** The deployment that takes the most live traffic (ties: the name that sorts first), as trafficLeader decides. */
export function leaderOf(traffic: TrafficState): string | undefined {
  const shares = Object.entries(traffic.traffic).filter(([, percent]) => percent > 0);
  shares.sort(([a, pa], [b, pb]) => pb - pa || a.localeCompare(b));
  return shares[0]?.[0];
}

/**
 * Decides the plan. `endpoint` is undefined when the endpoint does not exist. Throws a TaskError (or InputError) for
 * every refusal.
 */
export function planRollout(settings: Settings, endpoint: EndpointState | undefined, desired: DesiredDeployment | undefined): Plan {
  const { action } = settings;
  preflight(settings, endpoint);
  if (!endpoint) {
    if (action === 'promote' || action === 'reject') {
      throw new TaskError(
        `Input '${settings.inputs.endpointName}': the online endpoint does not exist in the workspace, so there is no rollout to ${action}. ` +
          `Check the endpoint name, or deploy first (action deploy or canary).`,
      );
    }
    const none: TrafficState = { traffic: {}, mirror: {} };
    const choice = desired!.explicitName ? { name: desired!.explicitName, reason: 'given by the deploymentName input' } : chooseCandidateName(desired!.fileName, none);
    return { kind: 'first', candidate: choice.name, createEndpoint: true, before: none, deployCandidate: true, nameReason: choice.reason };
  }

  // preflight refused an unreadable record.
  const record = endpoint.record && 'record' in endpoint.record ? endpoint.record.record : undefined;
  const exists = (name: string): boolean => endpoint.deployments.some((d) => sameName(d.name, name));
  const leader = leaderOf(endpoint.traffic);

  if (action === 'reject') {
    if (!record) return { kind: 'nothing', message: `No rollout is in progress on the online endpoint '${endpoint.name}' (${describeSplit(endpoint.traffic.traffic)}): there is nothing to reject.`, deployment: leader };
    refuseRollbackAfterCleanup(endpoint, record, exists);
    return { kind: 'reject', record, candidateExists: exists(record.candidate) };
  }

  if (action === 'promote') {
    if (!record) return { kind: 'nothing', message: `No rollout is in progress on the online endpoint '${endpoint.name}' (${describeSplit(endpoint.traffic.traffic)}): there is nothing to promote.`, deployment: leader };
    if (!exists(record.candidate)) {
      throw new TaskError(
        `The rollout recorded on the online endpoint '${endpoint.name}' stopped before its new deployment '${record.candidate}' was created: there is nothing to promote. ` +
          `Run the task with action reject to clear it, or with action deploy to roll out again.`,
      );
    }
    return { kind: 'rollout', candidate: record.candidate, previous: record.previous, before: record.before, newRecord: undefined, resumed: true, deployCandidate: false, stopAt: 100, nameReason: 'the recorded rollout' };
  }

  // deploy and canary
  const wanted = desired!;
  if (record) {
    if (wanted.explicitName && !sameName(wanted.explicitName, record.candidate)) {
      throw rolloutInProgress(endpoint, record, `it rolls out the deployment '${record.candidate}', not '${wanted.explicitName}'`);
    }
    const candidateExists = exists(record.candidate);
    if (candidateExists && !wanted.matches(record.candidate)) {
      throw rolloutInProgress(endpoint, record, `its deployment '${record.candidate}' runs ${record.model ? `${record.model}` : 'something else'}, not what this run deploys (${wanted.modelLabel ?? 'its deployment file'})`);
    }
    const current = shareOf(endpoint.traffic.traffic, record.candidate);
    if (action === 'canary' && current >= settings.stopAt) {
      return { kind: 'nothing', message: `The canary '${record.candidate}' already takes ${current}% of the traffic of '${endpoint.name}' (canary percentage ${settings.stopAt}%): nothing to do. Promote or reject it.`, deployment: record.candidate };
    }
    return { kind: 'rollout', candidate: record.candidate, previous: record.previous, before: record.before, newRecord: undefined, resumed: true, deployCandidate: !candidateExists, stopAt: settings.stopAt, nameReason: 'the recorded rollout' };
  }

  if (!leader) {
    // Nothing serves: no rollout is needed, and there is nothing to mirror or compare with.
    const choice = wanted.explicitName ? { name: wanted.explicitName, reason: 'given by the deploymentName input' } : chooseCandidateName(wanted.fileName, endpoint.traffic);
    if (!isFree(choice.name, endpoint.traffic)) throw mirroredCandidate(settings, endpoint, choice.name);
    const found = endpoint.deployments.find((d) => sameName(d.name, choice.name));
    const reusable = found !== undefined && found.provisioningState?.toLowerCase() === 'succeeded' && wanted.matches(choice.name);
    return { kind: 'first', candidate: choice.name, createEndpoint: false, before: endpoint.traffic, deployCandidate: !reusable, nameReason: choice.reason };
  }

  // Same model, environment, code and settings as what serves: nothing to roll out, whatever the new name would be.
  if (wanted.matches(leader)) return { kind: 'unchanged', deployment: leader };

  let choice: { name: string; reason: string };
  if (wanted.explicitName) {
    if (sameName(wanted.explicitName, leader)) {
      throw new TaskError(
        `Input '${settings.inputs.deploymentName}': '${wanted.explicitName}' is the deployment serving production on '${endpoint.name}' (${describeSplit(endpoint.traffic.traffic)}). ` +
          `A safe rollout creates the new deployment beside it: give another name, or leave '${settings.inputs.deploymentName}' empty to alternate blue and green.`,
      );
    }
    if (shareOf(endpoint.traffic.traffic, wanted.explicitName) > 0) {
      throw new TaskError(
        `Input '${settings.inputs.deploymentName}': the deployment '${wanted.explicitName}' takes ${shareOf(endpoint.traffic.traffic, wanted.explicitName)}% of the live traffic of '${endpoint.name}'. ` +
          `The new deployment must take no traffic when the rollout starts: give another name, or leave it empty.`,
      );
    }
    choice = { name: wanted.explicitName, reason: 'given by the deploymentName input' };
  } else {
    choice = chooseCandidateName(wanted.fileName, endpoint.traffic);
  }
  if (!isFree(choice.name, endpoint.traffic)) throw mirroredCandidate(settings, endpoint, choice.name);

  const found = endpoint.deployments.find((d) => sameName(d.name, choice.name));
  const reusable = found !== undefined && found.provisioningState?.toLowerCase() === 'succeeded' && wanted.matches(choice.name);
  const newRecord: RolloutRecord = {
    candidate: choice.name,
    previous: leader,
    before: endpoint.traffic,
    model: wanted.modelLabel,
    startedAt: settings.now().toISOString(),
    startedBy: settings.startedBy,
  };
  return { kind: 'rollout', candidate: choice.name, previous: leader, before: endpoint.traffic, newRecord, resumed: false, deployCandidate: !reusable, stopAt: settings.stopAt, nameReason: choice.reason };
}

/**
 * The refusals that need only the endpoint's state, checked before anything else is done (before the deployment's
 * code is even uploaded): the endpoint or a deployment it involves is busy, the rollout record was edited by hand,
 * mirroring on a Kubernetes endpoint.
 */
export function preflight(settings: Settings, endpoint: EndpointState | undefined): void {
  const deploys = settings.action === 'deploy' || settings.action === 'canary';
  if (!endpoint) {
    if (deploys && settings.mirrorPercent > 0 && settings.newEndpointComputeType === 'Kubernetes') refuseMirror(settings, 'the endpoint to create');
    return;
  }
  refuseWhileBusy(endpoint);
  if (endpoint.record && 'problem' in endpoint.record) {
    throw new TaskError(
      `The rollout recorded on the online endpoint '${endpoint.name}' cannot be read: ${endpoint.record.problem}. ` +
        `Its tags starting with 'azureml-mlops.rollout.' were changed by hand. Restore the endpoint's traffic as you want it, remove those tags (az ml online-endpoint update --remove tags...), then run the task again.`,
    );
  }
  if (deploys) refuseMirrorOnKubernetes(settings, endpoint);
}

/**
 * The name the new deployment will have, before its content is known (the references are resolved under it): the
 * recorded rollout's, the deploymentName input, or the blue/green choice. planRollout decides the same.
 */
export function provisionalCandidate(endpoint: EndpointState | undefined, desired: Pick<DesiredDeployment, 'explicitName' | 'fileName'>): string {
  const record = endpoint?.record && 'record' in endpoint.record ? endpoint.record.record : undefined;
  if (record) return record.candidate;
  if (desired.explicitName) return desired.explicitName;
  return chooseCandidateName(desired.fileName, endpoint?.traffic ?? { traffic: {}, mirror: {} }).name;
}

/** One clear error when the endpoint, or a deployment the rollout needs, is in the middle of another operation. */
function refuseWhileBusy(endpoint: EndpointState): void {
  if (isBusy(endpoint.provisioningState)) {
    throw new TaskError(
      `The online endpoint '${endpoint.name}' is being updated (provisioning state ${endpoint.provisioningState}): another operation on it is in progress. ` +
        'Nothing was changed. Wait for that operation to finish (Azure ML studio > Endpoints), then run the task again.',
    );
  }
  const involved = new Set<string>();
  for (const split of [endpoint.traffic.traffic, endpoint.traffic.mirror]) for (const [name, percent] of Object.entries(split)) if (percent > 0) involved.add(name.toLowerCase());
  const record = endpoint.record && 'record' in endpoint.record ? endpoint.record.record : undefined;
  if (record) involved.add(record.candidate.toLowerCase());
  const busy = endpoint.deployments.find((d) => involved.has(d.name.toLowerCase()) && isBusy(d.provisioningState));
  if (busy) {
    throw new TaskError(
      `The deployment '${busy.name}' of the online endpoint '${endpoint.name}' is being updated (provisioning state ${busy.provisioningState}): another operation on it is in progress. ` +
        'Nothing was changed. Wait for that operation to finish, then run the task again.',
    );
  }
}

function refuseMirrorOnKubernetes(settings: Settings, endpoint: EndpointState): void {
  if (settings.mirrorPercent > 0 && endpoint.computeType === 'Kubernetes') refuseMirror(settings, `the online endpoint '${endpoint.name}'`);
}

function refuseMirror(settings: Settings, what: string): never {
  throw new TaskError(
    `Input '${settings.inputs.mirrorPercent}': ${what} is a Kubernetes endpoint, and Azure ML mirrors traffic only on managed online endpoints. ` +
      `Set '${settings.inputs.mirrorPercent}' to 0: the new deployment is still smoke tested before and between the traffic steps.`,
  );
}

function mirroredCandidate(settings: Settings, endpoint: EndpointState, name: string): TaskError {
  return new TaskError(
    `Input '${settings.inputs.deploymentName}': the deployment '${name}' receives mirrored traffic on '${endpoint.name}' (${describeSplit(endpoint.traffic.mirror)}), ` +
      'so it cannot be the new deployment. Give another name, or stop mirroring to it first.',
  );
}

function rolloutInProgress(endpoint: EndpointState, record: RolloutRecord, why: string): TaskError {
  const share = shareOf(endpoint.traffic.traffic, record.candidate);
  return new TaskError(
    `A rollout is already in progress on the online endpoint '${endpoint.name}': ${why}. ` +
      `It was started ${record.startedAt ? `at ${record.startedAt} ` : ''}${record.startedBy ? `by ${record.startedBy} ` : ''}and '${record.candidate}' takes ${share}% of the traffic. ` +
      'Nothing was changed. Finish it with action promote, or roll it back with action reject, then run this deployment again.',
  );
}

/** Once the previous deployments were deleted (the rollout was finishing), rolling back is no longer possible. */
function refuseRollbackAfterCleanup(endpoint: EndpointState, record: RolloutRecord, exists: (name: string) => boolean): void {
  const gone = Object.entries(record.before.traffic).filter(([name, percent]) => percent > 0 && !exists(name)).map(([name]) => name);
  if (gone.length > 0) {
    throw new TaskError(
      `The rollout of '${record.candidate}' on the online endpoint '${endpoint.name}' cannot be rolled back: the deployment${gone.length > 1 ? 's' : ''} ${gone.map((n) => `'${n}'`).join(', ')} that served before ${gone.length > 1 ? 'were' : 'was'} already deleted (the rollout was finishing). ` +
        'Run the task with action promote to finish it, then deploy the previous model again if you need it back.',
    );
  }
}
