/**
 * The smoke test of a deployment: POSTs a request file to the scoring URI (optionally to one deployment through the
 * `azureml-model-deployment` header, which reaches a deployment that takes 0 % of the traffic), checks the status,
 * JSON assertions and a latency budget. Connection errors, timeouts, 408, 429 and 5xx are retried up to `attempts`
 * (the first requests after a rollout often meet a cold start). A failed test is a result, never an exception.
 *
 * Requests go through the agent's proxy (Agent.ProxyUrl, bypass list) and trust NODE_EXTRA_CA_CERTS as every other
 * call of the product; the Authorization header is never logged, and excerpts are masked.
 */
import * as fs from 'node:fs';

import {
  createDefaultHttpClient,
  createHttpHeaders,
  createPipelineFromOptions,
  createPipelineRequest,
  type HttpClient,
  isRestError,
  type Pipeline,
  type PipelineResponse,
  proxyPolicyName,
} from '@azure/core-rest-pipeline';

import { type AzureHttpOptions, createAzureHttpOptions, RETRIABLE_ERROR_CODES, serverRequestedDelayMs } from '../azure/httpPolicies';
import { escapeInline } from '../pipeline/summary';
import { info } from '../pipeline/logging';
import { agentProxyPolicy } from '../pipeline/proxy';
import { redactSecrets } from '../pipeline/secrets';
import { sleep } from './arm';
import { evaluateJsonAssertion, type JsonAssertion } from './assertions';
import type { ScoringAuth } from './types';

export interface SmokeTestSpec {
  /** The request body (usually JSON), sent as is. */
  readonly requestFile: string;
  /** Default content type application/json. */
  readonly contentType?: string;
  readonly expectedStatus: number;
  readonly assertions: readonly JsonAssertion[];
  /** An answer slower than this is retried, then fails the test (cold starts get the other attempts). */
  readonly latencyBudgetMs?: number;
  /** Requests at most (>= 1). */
  readonly attempts: number;
  /** Wait between attempts when the service does not say (Retry-After). */
  readonly retryDelayMs: number;
  /** Per request. */
  readonly timeoutMs: number;
}

export interface SmokeTestTarget {
  readonly scoringUri: string;
  readonly auth: ScoringAuth;
  /** Sets `azureml-model-deployment`: the request goes to this deployment whatever its share of the traffic. */
  readonly deploymentName?: string;
}

export interface SmokeTestOptions {
  readonly signal: AbortSignal;
  /** Names the test in log lines and the summary, e.g. "deployment 'blue'". */
  readonly label?: string;
  /** User agent and agent proxy (default: createAzureHttpOptions()). */
  readonly httpOptions?: AzureHttpOptions;
  /** Default: core-rest-pipeline's client (Node https: NODE_EXTRA_CA_CERTS trusted). Tests inject one. */
  readonly httpClient?: HttpClient;
}

export interface SmokeTestResult {
  readonly passed: boolean;
  /** Requests sent. */
  readonly attempts: number;
  /** Status of the last answer (none after connection errors only). */
  readonly status?: number;
  /** Latency of the last answer. */
  readonly latencyMs?: number;
  /** Why it failed (empty when passed). */
  readonly failures: readonly string[];
  /** The start of the last answer's body, secrets masked. */
  readonly responseExcerpt?: string;
  /** The deployment that answered (`azureml-model-deployment` response header). */
  readonly servedBy?: string;
  readonly label?: string;
  readonly deploymentName?: string;
}

/** What one request came back with. */
export type AttemptOutcome =
  | { readonly kind: 'response'; readonly status: number; readonly latencyMs: number; readonly body: string; readonly servedBy?: string; readonly retryAfterMs?: number }
  | { readonly kind: 'error'; readonly reason: string };

/** The verdict on one attempt: passed, failed for good, or worth another attempt (with why). */
export type AttemptVerdict = { readonly verdict: 'pass' } | { readonly verdict: 'fail'; readonly reasons: readonly string[] } | { readonly verdict: 'retry'; readonly reason: string };

/** Statuses that say "try again later": timeouts, throttling, and every 5xx (a deployment still warming up answers 502/503). */
export function isRetriableStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status <= 599);
}

/**
 * Classifies one attempt. The expected status is checked first (a test may expect 503); then the JSON assertions
 * (never retried: the same request gets the same answer) and the latency budget (retried: cold starts).
 */
export function judgeAttempt(outcome: AttemptOutcome, spec: Pick<SmokeTestSpec, 'expectedStatus' | 'assertions' | 'latencyBudgetMs'>): AttemptVerdict {
  if (outcome.kind === 'error') return { verdict: 'retry', reason: outcome.reason };
  if (outcome.status !== spec.expectedStatus) {
    const reason = `HTTP ${outcome.status}, expected ${spec.expectedStatus}`;
    return isRetriableStatus(outcome.status) ? { verdict: 'retry', reason } : { verdict: 'fail', reasons: [reason] };
  }
  const reasons: string[] = [];
  if (spec.assertions.length > 0) {
    let document: unknown;
    try {
      document = JSON.parse(outcome.body);
    } catch {
      return { verdict: 'fail', reasons: ['the response is not JSON, so the assertions cannot be checked'] };
    }
    for (const assertion of spec.assertions) {
      const problem = evaluateJsonAssertion(assertion, document);
      if (problem) reasons.push(`assertion '${assertion.text}' failed: ${problem}`);
    }
  }
  if (reasons.length > 0) return { verdict: 'fail', reasons };
  if (spec.latencyBudgetMs !== undefined && outcome.latencyMs > spec.latencyBudgetMs) {
    return { verdict: 'retry', reason: `answered in ${outcome.latencyMs} ms, over the latency budget of ${spec.latencyBudgetMs} ms` };
  }
  return { verdict: 'pass' };
}

/** Runs the smoke test; never throws for a failed test (only for cancellation or an unreadable request file). */
export async function runSmokeTest(target: SmokeTestTarget, spec: SmokeTestSpec, options: SmokeTestOptions): Promise<SmokeTestResult> {
  const label = options.label ?? (target.deploymentName ? `deployment '${target.deploymentName}'` : 'the endpoint');
  const body = fs.readFileSync(spec.requestFile);
  const pipeline = smokeTestPipeline(options.httpOptions ?? createAzureHttpOptions());
  const client = options.httpClient ?? createDefaultHttpClient();
  info(`Smoke test of ${label}: POST ${target.scoringUri}${target.deploymentName ? ` (azureml-model-deployment: ${target.deploymentName})` : ''}, ${body.length} bytes from ${spec.requestFile}, expecting HTTP ${spec.expectedStatus}.`);
  info(`  request: ${excerpt(body.toString('utf8'), 300)}`);

  let last: AttemptOutcome | undefined;
  let lastVerdict: AttemptVerdict | undefined;
  let attempts = 0;
  const maxAttempts = Math.max(1, spec.attempts);
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    attempts = attempt;
    last = await sendOnce(pipeline, client, target, spec, body, options.signal);
    lastVerdict = judgeAttempt(last, spec);
    const what = last.kind === 'error' ? last.reason : `HTTP ${last.status} in ${last.latencyMs} ms${last.servedBy ? ` from deployment '${last.servedBy}'` : ''}`;
    if (lastVerdict.verdict !== 'retry' || attempt === maxAttempts) {
      info(`  attempt ${attempt}/${maxAttempts}: ${what}.`);
      break;
    }
    const delay = Math.min(last.kind === 'response' && last.retryAfterMs !== undefined ? last.retryAfterMs : spec.retryDelayMs, 60_000);
    const why = last.kind === 'error' ? '' : last.status !== spec.expectedStatus ? ` (expected ${spec.expectedStatus})` : `: ${lastVerdict.reason}`;
    info(`  attempt ${attempt}/${maxAttempts}: ${what}${why}; retrying in ${Math.round(delay / 100) / 10}s.`);
    await sleep(delay, options.signal);
  }

  const response = last?.kind === 'response' ? last : undefined;
  const failures = lastVerdict?.verdict === 'fail' ? [...lastVerdict.reasons] : lastVerdict?.verdict === 'retry' ? [`${lastVerdict.reason} (after ${attempts} attempt${attempts === 1 ? '' : 's'})`] : [];
  const result: SmokeTestResult = {
    passed: lastVerdict?.verdict === 'pass',
    attempts,
    ...(response ? { status: response.status, latencyMs: response.latencyMs, responseExcerpt: excerpt(response.body, 1000) } : {}),
    ...(response?.servedBy ? { servedBy: response.servedBy } : {}),
    failures,
    label,
    ...(target.deploymentName ? { deploymentName: target.deploymentName } : {}),
  };
  if (response) info(`  response: ${result.responseExcerpt}`);
  if (result.passed) info(`Smoke test of ${label} passed (HTTP ${response?.status} in ${response?.latencyMs} ms, ${spec.assertions.length} assertion${spec.assertions.length === 1 ? '' : 's'}).`);
  else for (const failure of failures) info(`Smoke test of ${label} failed: ${failure}.`);
  return result;
}

/** A pipeline without retries (the attempts are ours), with the user agent and the agent proxy per URL. */
function smokeTestPipeline(httpOptions: AzureHttpOptions): Pipeline {
  const pipeline = createPipelineFromOptions({ userAgentOptions: { userAgentPrefix: httpOptions.userAgentPrefix } });
  pipeline.removePolicy({ phase: 'Retry' });
  if (httpOptions.proxy) pipeline.addPolicy(agentProxyPolicy(httpOptions.proxy), { beforePolicies: [proxyPolicyName] });
  return pipeline;
}

async function sendOnce(pipeline: Pipeline, client: HttpClient, target: SmokeTestTarget, spec: SmokeTestSpec, body: Buffer, signal: AbortSignal): Promise<AttemptOutcome> {
  const headers = createHttpHeaders({
    'content-type': spec.contentType ?? 'application/json',
    accept: 'application/json',
    authorization: await target.auth.authorization(signal),
    ...(target.deploymentName ? { 'azureml-model-deployment': target.deploymentName } : {}),
  });
  const request = createPipelineRequest({ url: target.scoringUri, method: 'POST', headers, body, timeout: spec.timeoutMs, abortSignal: signal });
  const started = performance.now();
  let response: PipelineResponse;
  try {
    response = await pipeline.sendRequest(client, request);
  } catch (error) {
    if (signal.aborted) throw error;
    return { kind: 'error', reason: connectionFailure(error, spec.timeoutMs) };
  }
  const latencyMs = Math.round(performance.now() - started);
  const retryAfterMs = serverRequestedDelayMs(response);
  const servedBy = response.headers.get('azureml-model-deployment');
  return {
    kind: 'response',
    status: response.status,
    latencyMs,
    body: response.bodyAsText ?? '',
    ...(servedBy ? { servedBy } : {}),
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  };
}

/** `connection error ECONNREFUSED`, `no answer within 30 s`: what went wrong before any HTTP answer. */
export function connectionFailure(error: unknown, timeoutMs: number): string {
  const code = isRestError(error) ? error.code : (error as { code?: string } | undefined)?.code;
  const cause = (error as { cause?: { code?: string } } | undefined)?.cause?.code;
  const name = error instanceof Error ? error.name : '';
  if (name === 'AbortError' || /timeout/i.test(`${code ?? ''} ${error instanceof Error ? error.message : ''}`)) return `no answer within ${Math.round(timeoutMs / 1000)} s`;
  const known = [code, cause].find((c) => c !== undefined && RETRIABLE_ERROR_CODES.has(c));
  const message = error instanceof Error ? error.message : String(error);
  return `connection error ${known ?? code ?? ''}${message ? `: ${redactSecrets(message).slice(0, 200)}` : ''}`.replace(/\s+:/, ':');
}

/** The start of a text on one line, secrets masked. */
export function excerpt(text: string, max: number): string {
  const single = redactSecrets(text).replace(/\s*\r?\n\s*/g, ' ').trim();
  if (single === '') return '(empty)';
  return single.length > max ? `${single.slice(0, max - 3)}...` : single;
}

/** Markdown for the run summary: one row per smoke test, then why the failed ones failed. */
export function smokeTestSummary(results: readonly SmokeTestResult[]): string {
  if (results.length === 0) return '';
  const cell = (value: string | number | undefined): string => (value === undefined || value === '' ? '—' : escapeInline(String(value)));
  const lines = [
    '| Smoke test | Result | HTTP | Latency | Attempts | Served by |',
    '| --- | --- | --- | --- | --- | --- |',
    ...results.map(
      (r) =>
        `| ${cell(r.label)} | ${r.passed ? '✅ passed' : '❌ failed'} | ${cell(r.status)} | ${r.latencyMs !== undefined ? `${r.latencyMs} ms` : '—'} | ${r.attempts} | ${cell(r.servedBy)} |`,
    ),
  ];
  for (const failed of results.filter((r) => !r.passed)) {
    lines.push('', `**${escapeInline(failed.label ?? 'Smoke test')}**:`);
    for (const failure of failed.failures) lines.push(`- ${escapeInline(failure)}`);
    if (failed.responseExcerpt) lines.push(`- response: \`${failed.responseExcerpt.replace(/`/g, "'").slice(0, 300)}\``);
  }
  return `${lines.join('\n')}\n`;
}
