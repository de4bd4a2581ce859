/**
 * ARM plumbing of the deployment library: api-versions, the workspace access it needs, waiting for long-running
 * operations (Azure-AsyncOperation or Location) with a poll schedule that starts fast (the emulator and small updates
 * finish in seconds) and settles at a few seconds (real deployments take minutes), honouring Retry-After.
 */
import { ARM_API_VERSION } from '../azure/armOperations';
import { parseServiceError, type RestResponse } from '../azure/rest';
import { serverRequestedDelayMs } from '../azure/httpPolicies';
import type { WorkspaceClient } from '../azure/workspace';
import { info } from '../pipeline/logging';
import { TaskError } from '../pipeline/errors';

/**
 * Online endpoints are read and written with API 2023-04-01, the first GA version with `mirrorTraffic`: a PUT in
 * 2022-10-01 would drop the mirror setting (a PUT replaces the definition), and its answers do not show it.
 */
export const ENDPOINT_API_VERSION = '2023-04-01';
/** Deployments: the API version of the rest of the product. */
export const DEPLOYMENT_API_VERSION = ARM_API_VERSION;

/** What the deployment library uses of a WorkspaceClient (tests pass fakes). */
export type DeployWorkspace = Pick<WorkspaceClient, 'armRequest' | 'workspaceArmPath'> & {
  readonly workspace: Pick<WorkspaceClient['workspace'], 'location'>;
};

/** Provisioning states in which another operation on the resource is refused (409). */
export const BUSY_STATES: ReadonlySet<string> = new Set(['creating', 'updating', 'deleting', 'scaling']);

export function isBusy(state: string | undefined): boolean {
  return state !== undefined && BUSY_STATES.has(state.toLowerCase());
}

/** Delays between polls: quick at first, then every 5 s (or what the service asks for). */
export const POLL_SCHEDULE_MS: readonly number[] = [250, 500, 1000, 2000, 3000, 5000];
/** The longest wait between polls, whatever Retry-After says (an hour-long Retry-After must not stall the task). */
export const MAX_POLL_DELAY_MS = 60_000;

export function pollDelay(attempt: number, response?: Pick<RestResponse<unknown>, 'headers'>): number {
  const requested = response ? serverRequestedDelayMs({ headers: response.headers } as never) : undefined;
  return Math.min(requested ?? POLL_SCHEDULE_MS[Math.min(attempt, POLL_SCHEDULE_MS.length - 1)]!, MAX_POLL_DELAY_MS);
}

export interface OperationOutcome {
  readonly status: 'Succeeded' | 'Failed' | 'Canceled';
  readonly code?: string;
  readonly message?: string;
}

export interface WaitOptions {
  readonly signal?: AbortSignal;
  /** `Deployment 'blue'`: progress lines read "<label>: still Creating (2m 10s)". */
  readonly label: string;
  /** Reads the resource's provisioning state for progress lines. */
  readonly readState?: () => Promise<string | undefined>;
}

/**
 * Waits for the operation an ARM answer started (Azure-AsyncOperation, else a 202's Location). Answers without either
 * are done already. Returns how it ended (never throws for a failed operation; callers explain failures).
 */
export async function waitForOperation(workspace: DeployWorkspace, first: RestResponse<unknown>, options: WaitOptions): Promise<OperationOutcome> {
  const asyncOperation = first.headers.get('azure-asyncoperation');
  const location = first.headers.get('location');
  if (!asyncOperation && !(first.status === 202 && location)) return { status: 'Succeeded' };
  const started = Date.now();
  let lastReport = started;
  let last: RestResponse<unknown> = first;
  for (let attempt = 0; ; attempt++) {
    await sleep(pollDelay(attempt, last), options.signal);
    if (asyncOperation) {
      const poll = await workspace.armRequest<{ status?: string; error?: unknown }>('GET', asyncOperation, undefined, { abortSignal: options.signal });
      last = poll;
      const status = (poll.body?.status ?? 'InProgress').toLowerCase();
      if (status === 'succeeded') return { status: 'Succeeded' };
      if (status === 'failed' || status === 'canceled' || status === 'cancelled') {
        const { code, message } = parseServiceError(poll.body);
        return { status: status === 'failed' ? 'Failed' : 'Canceled', ...(code ? { code } : {}), ...(message ? { message } : {}) };
      }
    } else {
      const poll = await workspace.armRequest<unknown>('GET', location!, undefined, { abortSignal: options.signal, allowedStatuses: [400, 404, 409, 500] });
      last = poll;
      if (poll.status >= 400) {
        const { code, message } = parseServiceError(poll.body);
        return { status: 'Failed', ...(code ? { code } : {}), ...(message ? { message } : {}) };
      }
      if (poll.status !== 202) return { status: 'Succeeded' };
    }
    if (Date.now() - lastReport >= 30_000) {
      lastReport = Date.now();
      const state = options.readState ? await options.readState().catch(() => undefined) : undefined;
      info(`${options.label}: still ${state ?? 'in progress'} (${formatElapsed(Date.now() - started)}).`);
    }
  }
}

/** `2m 05s`, `45s`. */
export function formatElapsed(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  return `${Math.floor(seconds / 60)}m ${String(seconds % 60).padStart(2, '0')}s`;
}

/**
 * Waits until `read` reports a state that is not busy (another operation started by someone else is running), up to
 * `maxWaitMs`; then a TaskError naming `what` and the state.
 */
export async function waitUntilIdle(
  read: () => Promise<string | undefined>,
  what: string,
  options: { signal?: AbortSignal; maxWaitMs?: number } = {},
): Promise<string | undefined> {
  const maxWaitMs = options.maxWaitMs ?? 15 * 60_000;
  const started = Date.now();
  let state = await read();
  let announced = false;
  for (let attempt = 0; isBusy(state); attempt++) {
    if (Date.now() - started > maxWaitMs) {
      throw new TaskError(
        `${what} has been ${state} for more than ${formatElapsed(maxWaitMs)}: another operation on it is still running. ` +
          'Check it in Azure ML studio (Endpoints), wait for the operation to finish, then run the task again.',
      );
    }
    if (!announced) {
      info(`${what} is ${state} (another operation is running): waiting for it to finish first.`);
      announced = true;
    }
    await sleep(pollDelay(attempt + 2), options.signal);
    state = await read();
  }
  return state;
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason ?? new Error('aborted'));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason ?? new Error('aborted'));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
