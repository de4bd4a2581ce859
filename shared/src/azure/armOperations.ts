import type { HttpMethods } from '@azure/core-rest-pipeline';

import { TaskError } from '../pipeline/errors';
import { debug } from '../pipeline/logging';
import { redactSecrets } from '../pipeline/secrets';
import { parseServiceError, RestResponse, sendJsonRequest, SendRequest } from './rest';
import { serverRequestedDelayMs } from './httpPolicies';

export const ARM_API_VERSION = '2022-10-01';

export interface ArmRequestOptions {
  readonly abortSignal?: AbortSignal;
  /** api-version added when `path` has none (default 2022-10-01, the Azure ML API the tasks use). */
  readonly apiVersion?: string;
  readonly allowedStatuses?: readonly number[];
  readonly headers?: Record<string, string>;
}

export interface ArmWaitOptions extends ArmRequestOptions {
  /** Poll interval when the service gives no Retry-After (default 5 s). */
  readonly pollIntervalMs?: number;
  /** Called with each status seen while waiting (e.g. "Updating"), for progress logs. */
  readonly onProgress?: (status: string) => void;
}

/** Full URL of an ARM path ('/subscriptions/...'), with api-version added when missing. */
export function armUrlFor(armUrl: string, path: string, apiVersion = ARM_API_VERSION): string {
  const url = new URL(path.startsWith('http') ? path : `${armUrl.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`);
  if (!url.searchParams.has('api-version')) url.searchParams.set('api-version', apiVersion);
  return url.href;
}

/** Sends an ARM request through `send` (the ARM client's pipeline): JSON in, JSON out, errors as AzureRequestError. */
export function armRequest<T>(
  send: SendRequest,
  armUrl: string,
  method: HttpMethods,
  path: string,
  body?: unknown,
  options: ArmRequestOptions = {},
): Promise<RestResponse<T>> {
  return sendJsonRequest<T>(send, method, armUrlFor(armUrl, path, options.apiVersion), {
    body,
    abortSignal: options.abortSignal,
    allowedStatuses: options.allowedStatuses,
    headers: options.headers,
  });
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason ?? new Error('aborted'));
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason ?? new Error('aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

const TERMINAL_FAILURES = new Set(['failed', 'canceled', 'cancelled']);

/**
 * Sends an ARM request and, when the service answers with a long-running operation (Azure-AsyncOperation or a
 * 202 Location), waits for it. Returns the final resource (PUT/PATCH: a GET of `path`) or the last answer.
 * A failed or cancelled operation throws a TaskError with the service's code and message.
 */
export async function armRequestAndWait<T>(
  send: SendRequest,
  armUrl: string,
  method: HttpMethods,
  path: string,
  body?: unknown,
  options: ArmWaitOptions = {},
): Promise<RestResponse<T>> {
  const first = await armRequest<T>(send, armUrl, method, path, body, options);
  const asyncOperation = first.headers.get('azure-asyncoperation');
  const location = first.headers.get('location');
  if (!asyncOperation && !(first.status === 202 && location)) return first;

  const pollInterval = options.pollIntervalMs ?? 5_000;
  let lastResponse: RestResponse<unknown> = first;
  for (;;) {
    const requested = serverRequestedDelayMs({ headers: lastResponse.headers } as never);
    await sleep(requested ?? pollInterval, options.abortSignal);
    if (asyncOperation) {
      const poll = await sendJsonRequest<{ status?: string; error?: unknown }>(send, 'GET', asyncOperation, {
        abortSignal: options.abortSignal,
      });
      lastResponse = poll;
      const status = poll.body?.status ?? 'InProgress';
      options.onProgress?.(status);
      if (status.toLowerCase() === 'succeeded') break;
      if (TERMINAL_FAILURES.has(status.toLowerCase())) throw operationFailure(method, path, status, poll.body);
    } else {
      const poll = await sendJsonRequest<T>(send, 'GET', location as string, { abortSignal: options.abortSignal });
      lastResponse = poll;
      if (poll.status !== 202) {
        if (method !== 'PUT' && method !== 'PATCH') return poll;
        break;
      }
      options.onProgress?.('InProgress');
    }
  }
  if (method === 'PUT' || method === 'PATCH') {
    return armRequest<T>(send, armUrl, 'GET', path, undefined, { ...options, allowedStatuses: undefined });
  }
  return lastResponse as RestResponse<T>;
}

function operationFailure(method: string, path: string, status: string, body: unknown): TaskError {
  const { code, message } = parseServiceError(body);
  debug(`Operation ${method} ${path} ended ${status}`);
  return new TaskError(
    redactSecrets(`${method} ${path.split('?')[0]}: the operation ended ${status}${code ? ` (${code})` : ''}${message ? `: ${message}` : '.'}`),
  );
}
