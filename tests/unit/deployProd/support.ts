/**
 * Unit-test support for AzureMLDeployProd: its tsc output (tasks/AzureMLDeployProd/dist), and an in-memory endpoint
 * behind the RolloutOperations the state machine drives. The endpoint applies the service's traffic rules (live
 * traffic sums to 100 or 0 over deployments that exist; mirror at most 50 % to one deployment without live traffic;
 * a deployment taking traffic cannot be deleted), records every call, and fails whichever call a test asks it to.
 * Operations can also run on as they do in Azure: a creation that takes minutes (it outlives the task's cancellation),
 * an endpoint busy with an interrupted operation, a deletion that is accepted and then takes its time, or refused while
 * the deployment is being created.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { AzureRequestError, CancelledError, TaskError } from '@azureml-mlops/shared';

import type { RolloutIo, RolloutOperations, RolloutResource, SmokeOutcome } from '../../../tasks/AzureMLDeployProd/src/rollout/operations';
import type { RolloutRecord } from '../../../tasks/AzureMLDeployProd/src/rollout/record';
import type { Split, TrafficState } from '../../../tasks/AzureMLDeployProd/src/rollout/traffic';

/** A file of the repository, looked for upwards from here. */
function findInRepository(relative: string): string {
  for (let folder = __dirname; ; folder = path.dirname(folder)) {
    const candidate = path.join(folder, relative);
    if (fs.existsSync(candidate)) return candidate;
    if (path.dirname(folder) === folder) return path.resolve(relative);
  }
}

/** A module of the task's tsc output. */
export function taskModule<T>(relative: string): T {
  return require(findInRepository(`tasks/AzureMLDeployProd/dist/${relative}.js`)) as T;
}

export type CallName = keyof Omit<RolloutOperations, 'printFailureLogs'>;

export interface Call {
  readonly name: CallName;
  readonly args: readonly unknown[];
  /** Traffic after the call. */
  readonly traffic: TrafficState;
}

/** Decides whether the n-th (1-based, per name) call of `name` fails, and how. */
export type FailureRule = (name: CallName, nth: number, args: readonly unknown[]) => Error | undefined;

export interface FakeEndpointOptions {
  readonly traffic?: Split;
  readonly mirror?: Split;
  /** Deployments that exist, all Succeeded. */
  readonly deployments?: readonly string[];
  readonly exists?: boolean;
  readonly candidate?: string;
  readonly computeType?: 'Managed' | 'Kubernetes';
  readonly record?: RolloutRecord;
  /** Smoke test outcome per call (default: passed). */
  readonly smoke?: (deployment: string, label: string, nth: number) => boolean;
  /** Problem reported by a watch (default none). */
  readonly watch?: (deployment: string, nth: number) => string | undefined;
  readonly fail?: FailureRule;
  /** Called before each operation (e.g. to abort a signal at a given step). */
  readonly before?: (name: CallName, nth: number) => void;
  /**
   * The creation of the new deployment runs on (Creating) until the task's signal aborts, as a creation of several
   * minutes does in Azure; `onCreating` is called once it is under way (e.g. to cancel the task then).
   */
  readonly slowCreation?: { readonly onCreating: () => void };
  /**
   * How deletions requested with requestDeletion go: `at once` (default), `accepted` (the resource stays Deleting:
   * the deletion outlives the task) or `refused while busy` (409 while the resource is being created or updated).
   */
  readonly deletion?: 'at once' | 'accepted' | 'refused while busy';
}

const BUSY = new Set(['Creating', 'Updating', 'Deleting', 'Scaling']);

function conflict(what: string, state: string): TaskError {
  return new TaskError(`Azure ML refused: ${what} is ${state}`, {
    cause: new AzureRequestError('DELETE', 'https://arm/x', 409, 'Conflict', `${what} is currently in state ${state}: another operation on it is in progress.`),
  });
}

/** Never resolves; rejects with the signal's reason when it aborts (an operation that outlives the task). */
function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

export class FakeEndpoint implements RolloutOperations {
  traffic: Record<string, number>;
  mirror: Record<string, number>;
  exists: boolean;
  readonly deployments = new Map<string, { state: string }>();
  record: RolloutRecord | undefined;
  readonly calls: Call[] = [];
  readonly logsPrinted: string[] = [];
  /** Calls to make a deployment busy (409) once, e.g. to prove rollback retries. */
  busyConflicts = 0;
  /** The endpoint's provisioning state: while it is busy, waitForIdle waits (until the signal aborts). */
  endpointState = 'Succeeded';
  private readonly counts = new Map<string, number>();

  constructor(
    private readonly options: FakeEndpointOptions = {},
    readonly candidate = options.candidate ?? 'green',
  ) {
    this.traffic = { ...(options.traffic ?? { blue: 100 }) };
    this.mirror = { ...(options.mirror ?? {}) };
    this.exists = options.exists ?? true;
    for (const name of options.deployments ?? Object.keys(this.traffic)) this.deployments.set(name, { state: 'Succeeded' });
    for (const name of Object.keys(this.mirror)) if (!this.deployments.has(name)) this.deployments.set(name, { state: 'Succeeded' });
    this.record = options.record;
  }

  get state(): TrafficState {
    return { traffic: { ...this.traffic }, mirror: { ...this.mirror } };
  }

  calledNames(): string[] {
    return this.calls.map((call) => call.name);
  }

  private async call<T>(name: CallName, args: readonly unknown[], signal: AbortSignal | undefined, body: () => T | Promise<T>): Promise<T> {
    const nth = (this.counts.get(name) ?? 0) + 1;
    this.counts.set(name, nth);
    this.options.before?.(name, nth);
    if (signal?.aborted) throw signal.reason;
    const failure = this.options.fail?.(name, nth, args);
    if (failure) {
      this.calls.push({ name, args, traffic: this.state });
      throw failure;
    }
    try {
      return await body();
    } finally {
      this.calls.push({ name, args, traffic: this.state });
    }
  }

  waitForIdle(signal: AbortSignal, deployment?: string): Promise<void> {
    return this.call('waitForIdle', deployment === undefined ? [] : [deployment], signal, async () => {
      const named = deployment === undefined ? undefined : this.deployments.get(deployment)?.state;
      if (BUSY.has(this.endpointState) || (named !== undefined && BUSY.has(named))) await untilAborted(signal);
    });
  }

  readTraffic(signal: AbortSignal): Promise<TrafficState> {
    return this.call('readTraffic', [], signal, () => this.state);
  }

  setTraffic(state: TrafficState, signal: AbortSignal): Promise<void> {
    return this.call('setTraffic', [state], signal, () => {
      if (this.busyConflicts > 0) {
        this.busyConflicts -= 1;
        throw new TaskError('busy', { cause: new AzureRequestError('PUT', 'https://arm/endpoint', 409, 'Conflict', 'The online endpoint is currently in state Updating.') });
      }
      checkTraffic(state, this.deployments);
      this.traffic = { ...state.traffic };
      this.mirror = { ...state.mirror };
    });
  }

  createEndpoint(signal: AbortSignal): Promise<void> {
    return this.call('createEndpoint', [], signal, () => {
      this.exists = true;
    });
  }

  deleteEndpoint(signal: AbortSignal): Promise<void> {
    return this.call('deleteEndpoint', [], signal, () => this.deleteEndpointNow());
  }

  private deleteEndpointNow(): void {
    this.exists = false;
    this.deployments.clear();
    this.traffic = {};
    this.mirror = {};
  }

  deployCandidate(signal: AbortSignal): Promise<{ created: boolean }> {
    return this.call('deployCandidate', [this.candidate], signal, async () => {
      const created = !this.deployments.has(this.candidate);
      if (this.options.slowCreation) {
        this.deployments.set(this.candidate, { state: 'Creating' });
        this.options.slowCreation.onCreating();
        await untilAborted(signal);
      }
      this.deployments.set(this.candidate, { state: 'Succeeded' });
      return { created };
    });
  }

  deleteDeployment(name: string, signal: AbortSignal): Promise<void> {
    return this.call('deleteDeployment', [name], signal, () => {
      if ((this.traffic[name] ?? 0) > 0 || (this.mirror[name] ?? 0) > 0) throw new TaskError(`'${name}' takes traffic and cannot be deleted`);
      this.deleteDeploymentNow(name);
    });
  }

  private deleteDeploymentNow(name: string): void {
    this.deployments.delete(name);
    delete this.traffic[name];
    delete this.mirror[name];
  }

  readState(resource: RolloutResource, signal: AbortSignal): Promise<{ provisioningState: string } | undefined> {
    return this.call('readState', [resource], signal, () => {
      if (resource === 'endpoint') return this.exists ? { provisioningState: this.endpointState } : undefined;
      const found = this.deployments.get(resource.deployment);
      return found ? { provisioningState: found.state } : undefined;
    });
  }

  requestDeletion(resource: RolloutResource, signal: AbortSignal): Promise<boolean> {
    return this.call('requestDeletion', [resource], signal, () => {
      const how = this.options.deletion ?? 'at once';
      if (resource === 'endpoint') {
        if (!this.exists) return false;
        if (how === 'refused while busy' && BUSY.has(this.endpointState)) throw conflict('the endpoint', this.endpointState);
        if (how === 'accepted') this.endpointState = 'Deleting';
        else this.deleteEndpointNow();
        return true;
      }
      const name = resource.deployment;
      const found = this.deployments.get(name);
      if (!found) return false;
      if ((this.traffic[name] ?? 0) > 0 || (this.mirror[name] ?? 0) > 0) throw new TaskError(`'${name}' takes traffic and cannot be deleted`);
      if (how === 'refused while busy' && BUSY.has(found.state)) throw conflict(`the deployment '${name}'`, found.state);
      if (how === 'accepted') found.state = 'Deleting';
      else this.deleteDeploymentNow(name);
      return true;
    });
  }

  smokeTest(deployment: string, label: string, signal: AbortSignal): Promise<SmokeOutcome> {
    return this.call('smokeTest', [deployment, label], signal, () => {
      if (!this.deployments.has(deployment)) throw new TaskError(`no deployment '${deployment}' to smoke test`);
      const nth = this.counts.get('smokeTest') ?? 1;
      const passed = this.options.smoke?.(deployment, label, nth) ?? true;
      return { passed, label, detail: passed ? 'HTTP 200 in 12 ms (1 attempt)' : 'HTTP 500: An unexpected error occurred in scoring script' };
    });
  }

  watch(deployment: string, _durationMs: number, signal: AbortSignal): Promise<string | undefined> {
    return this.call('watch', [deployment], signal, () => this.options.watch?.(deployment, this.counts.get('watch') ?? 1));
  }

  printLogs(deployment: string, signal: AbortSignal): Promise<void> {
    return this.call('printLogs', [deployment], signal, () => {
      this.logsPrinted.push(deployment);
    });
  }

  printFailureLogs(error: unknown): boolean {
    return error instanceof Error && error.message.includes('with logs');
  }

  writeRecord(record: RolloutRecord | undefined, signal: AbortSignal): Promise<void> {
    return this.call('writeRecord', [record], signal, () => {
      this.record = record;
    });
  }
}

/** The service's traffic rules, as the emulator and Azure ML apply them. */
function checkTraffic(state: TrafficState, deployments: Map<string, { state: string }>): void {
  const sum = Object.values(state.traffic).reduce((a, b) => a + b, 0);
  if (sum !== 0 && sum !== 100) throw new TaskError(`traffic sums to ${sum}`);
  for (const name of [...Object.keys(state.traffic), ...Object.keys(state.mirror)]) if (!deployments.has(name)) throw new TaskError(`no deployment '${name}'`);
  const mirrored = Object.entries(state.mirror).filter(([, p]) => p > 0);
  if (mirrored.length > 1) throw new TaskError('mirror to more than one deployment');
  for (const [name, percent] of mirrored) {
    if (percent > 50) throw new TaskError('mirror above 50');
    if ((state.traffic[name] ?? 0) > 0) throw new TaskError(`'${name}' takes live and mirrored traffic`);
  }
}

/** A log that keeps lines in memory (tests assert on them, mocha's output stays clean). */
export class MemoryIo implements RolloutIo {
  readonly lines: string[] = [];
  readonly warnings: string[] = [];
  log(line: string): void {
    this.lines.push(line);
  }
  warn(line: string): void {
    this.warnings.push(line);
  }
  section(title: string): void {
    this.lines.push(`## ${title}`);
  }
  text(): string {
    return this.lines.join('\n');
  }
}

/** An error a test injects. */
export function injected(what: string): TaskError {
  return new TaskError(`injected failure of ${what}`);
}

export { CancelledError };
