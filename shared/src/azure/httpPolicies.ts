import {
  bearerTokenAuthenticationPolicy,
  createPipelineFromOptions,
  isRestError,
  Pipeline,
  PipelinePolicy,
  PipelineResponse,
  proxyPolicyName,
  ProxySettings,
  retryPolicy,
  RetryInformation,
  RetryModifiers,
  RetryStrategy,
} from '@azure/core-rest-pipeline';
import type { TokenCredential } from '@azure/core-auth';

import { AgentEnvironment, taskLibEnvironment } from '../pipeline/agentEnvironment';
import { debug } from '../pipeline/logging';
import { AgentProxy, agentProxyPolicy, proxySettingsFor, readAgentProxy } from '../pipeline/proxy';
import { urlWithoutQuery } from '../pipeline/secrets';
import { userAgentPrefix } from '../pipeline/taskIdentity';

export interface RetrySettings {
  /** Retries after the first attempt. */
  readonly maxRetries: number;
  /** First backoff delay; doubles on each retry (with jitter). */
  readonly baseDelayMs: number;
  /** Upper bound of a computed backoff delay. */
  readonly maxDelayMs: number;
  /** Upper bound of a server-requested delay (Retry-After and friends). */
  readonly maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_SETTINGS: RetrySettings = {
  maxRetries: 5,
  baseDelayMs: 1_000,
  maxDelayMs: 30_000,
  maxRetryAfterMs: 60_000,
};

/** Statuses that mean "try again": timeout, throttling and transient server/gateway errors. */
export const RETRIABLE_STATUS_CODES: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504]);

/** Socket-level failures worth another attempt (the connection, not the request, failed). */
export const RETRIABLE_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
]);

/**
 * HTTP settings shared by every Azure client a task creates (ARM SDK, credentials, raw data-plane calls,
 * storage), so they all retry, identify themselves and use the agent proxy the same way.
 */
export interface AzureHttpOptions {
  /** `azureml-mlops-tasks/<extension version> <TaskName>/<task version>`. */
  readonly userAgentPrefix: string;
  readonly proxy: AgentProxy | undefined;
  readonly retry: RetrySettings;
}

export function createAzureHttpOptions(
  overrides: Partial<AzureHttpOptions> = {},
  env: AgentEnvironment = taskLibEnvironment,
): AzureHttpOptions {
  return {
    userAgentPrefix: overrides.userAgentPrefix ?? userAgentPrefix(),
    proxy: 'proxy' in overrides ? overrides.proxy : readAgentProxy(env),
    retry: overrides.retry ?? DEFAULT_RETRY_SETTINGS,
  };
}

export interface RetryStrategyDependencies {
  /** Current time in ms (Date.now); injected for tests of HTTP-date Retry-After. */
  readonly now?: () => number;
  /** Random number in [0, 1) for jitter. */
  readonly random?: () => number;
}

/**
 * Delay the server asked for, in ms: `retry-after-ms`, `x-ms-retry-after-ms` (milliseconds) or `Retry-After`
 * (seconds or an HTTP date). Undefined when absent or unreadable.
 */
export function serverRequestedDelayMs(response: PipelineResponse | undefined, now: () => number = Date.now): number | undefined {
  if (!response) return undefined;
  for (const header of ['retry-after-ms', 'x-ms-retry-after-ms']) {
    const value = response.headers.get(header);
    if (value !== undefined && /^\s*\d+(\.\d+)?\s*$/.test(value)) return Math.ceil(Number(value));
  }
  const retryAfter = response.headers.get('retry-after');
  if (retryAfter === undefined) return undefined;
  if (/^\s*\d+(\.\d+)?\s*$/.test(retryAfter)) return Math.ceil(Number(retryAfter) * 1000);
  const date = Date.parse(retryAfter);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now());
}

/** Why a failed attempt is worth retrying, or undefined when it is not. */
export function retriableReason(state: Pick<RetryInformation, 'response' | 'responseError'>): string | undefined {
  const status = state.response?.status ?? state.responseError?.statusCode;
  if (status !== undefined) return RETRIABLE_STATUS_CODES.has(status) ? `HTTP ${status}` : undefined;
  const error = state.responseError;
  if (!error) return undefined;
  if (error.name === 'AbortError') return undefined;
  const code = error.code ?? (error.cause as { code?: string } | undefined)?.code;
  if (code && RETRIABLE_ERROR_CODES.has(code)) return code;
  return undefined;
}

/**
 * Retry strategy for core-rest-pipeline's retryPolicy: retries 408/429/500/502/503/504 and connection
 * resets/timeouts, waiting what the server asked for (capped) or an exponential backoff with jitter.
 */
export function createRetryStrategy(settings: RetrySettings = DEFAULT_RETRY_SETTINGS, deps: RetryStrategyDependencies = {}): RetryStrategy {
  const now = deps.now ?? Date.now;
  const random = deps.random ?? Math.random;
  return {
    name: 'azuremlMlopsRetryStrategy',
    retry(state: RetryInformation): RetryModifiers {
      const reason = retriableReason(state);
      if (!reason) return { skipStrategy: true };
      const response = state.response ?? state.responseError?.response;
      const requested = serverRequestedDelayMs(response, now);
      let delayMs: number;
      if (requested !== undefined) {
        delayMs = Math.min(requested, settings.maxRetryAfterMs);
      } else {
        const exponential = Math.min(settings.maxDelayMs, settings.baseDelayMs * 2 ** state.retryCount);
        // "Equal jitter": half fixed, half random, so clients that failed together do not retry together.
        delayMs = Math.round(exponential / 2 + (random() * exponential) / 2);
      }
      const request = response?.request ?? state.responseError?.request;
      const target = request ? `${request.method} ${urlWithoutQuery(request.url)}` : 'request';
      debug(`${target} failed (${reason}); retry ${state.retryCount + 1} of ${settings.maxRetries} in ${delayMs} ms`);
      return { retryAfterInMs: delayMs };
    },
  };
}

/** The retry policy built from createRetryStrategy. */
export function createRetryPolicy(settings: RetrySettings = DEFAULT_RETRY_SETTINGS, deps: RetryStrategyDependencies = {}): PipelinePolicy {
  return retryPolicy([createRetryStrategy(settings, deps)], { maxRetries: settings.maxRetries });
}

/**
 * Makes an SDK pipeline use our retry policy (replacing the SDK's default in the Retry phase) and the agent
 * proxy per request URL. Used on the ARM client's pipeline and on raw pipelines.
 */
export function applyAzureHttpOptions(pipeline: Pipeline, options: AzureHttpOptions): Pipeline {
  pipeline.removePolicy({ phase: 'Retry' });
  pipeline.addPolicy(createRetryPolicy(options.retry), { phase: 'Retry' });
  if (options.proxy) {
    pipeline.addPolicy(agentProxyPolicy(options.proxy), { beforePolicies: [proxyPolicyName] });
  }
  return pipeline;
}

/** Options for an Azure SDK ServiceClient (ARM). Call applyAzureHttpOptions on its pipeline after construction. */
export function serviceClientOptions(options: AzureHttpOptions): {
  userAgentOptions: { userAgentPrefix: string };
  retryOptions: { maxRetries: number; retryDelayInMs: number; maxRetryDelayInMs: number };
} {
  return {
    userAgentOptions: { userAgentPrefix: options.userAgentPrefix },
    retryOptions: {
      maxRetries: options.retry.maxRetries,
      retryDelayInMs: options.retry.baseDelayMs,
      maxRetryDelayInMs: options.retry.maxDelayMs,
    },
  };
}

/**
 * Options for @azure/identity credentials. Their pipeline is not reachable, so they keep the SDK's default retry
 * (which also honours Retry-After on 429/503) with our limits, and get the proxy chosen for the authority's URL.
 */
export function credentialClientOptions(options: AzureHttpOptions, authorityHost: string): {
  userAgentOptions: { userAgentPrefix: string };
  retryOptions: { maxRetries: number; retryDelayInMs: number; maxRetryDelayInMs: number };
  proxyOptions?: ProxySettings;
} {
  const proxyOptions = proxySettingsFor(options.proxy, authorityHost);
  return { ...serviceClientOptions(options), ...(proxyOptions ? { proxyOptions } : {}) };
}

/**
 * A pipeline for raw requests: user agent, our retry, agent proxy and, when `auth` is given, a bearer token for
 * `auth.scopes` (added in the Sign phase so every retry of a long operation gets a valid token).
 */
export function createHttpPipeline(options: AzureHttpOptions, auth?: { credential: TokenCredential; scopes: string[] }): Pipeline {
  const pipeline = createPipelineFromOptions({ userAgentOptions: { userAgentPrefix: options.userAgentPrefix } });
  applyAzureHttpOptions(pipeline, options);
  if (auth) {
    pipeline.addPolicy(bearerTokenAuthenticationPolicy({ credential: auth.credential, scopes: auth.scopes }), { phase: 'Sign' });
  }
  return pipeline;
}

export { isRestError };
