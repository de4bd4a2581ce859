/**
 * The smoke test (shared/src/deploy/smokeTest.ts) against a fake HTTP client: what is sent, which answers are retried
 * (connection errors, timeouts, 408, 429, 5xx, over the latency budget) and which are final, and the result.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { createHttpHeaders, type HttpClient, type PipelineRequest, type PipelineResponse, RestError } from '@azure/core-rest-pipeline';
import {
  createAzureHttpOptions,
  isRetriableStatus,
  judgeAttempt,
  parseJsonAssertions,
  registerSecret,
  runSmokeTest,
  type ScoringAuth,
  type SmokeTestSpec,
  smokeTestSummary,
} from '@azureml-mlops/shared';

type Answer = { status: number; body?: string; headers?: Record<string, string> } | Error;

/** Answers the requests in order; remembers what it was sent. */
function fakeClient(answers: Answer[]): HttpClient & { requests: PipelineRequest[] } {
  const requests: PipelineRequest[] = [];
  return {
    requests,
    async sendRequest(request: PipelineRequest): Promise<PipelineResponse> {
      requests.push(request);
      const answer = answers.shift();
      if (!answer) throw new Error('no more answers');
      if (answer instanceof Error) throw answer;
      return { request, status: answer.status, headers: createHttpHeaders(answer.headers ?? {}), bodyAsText: answer.body ?? '' };
    },
  };
}

const AUTH: ScoringAuth = { mode: 'Key', authorization: async () => 'Bearer test-scoring-key' };
const OK_BODY = '{"predictions": [210.22, 66.37, 181.2]}';

describe('smoke test (shared/src/deploy/smokeTest.ts)', () => {
  let requestFile: string;
  let spec: SmokeTestSpec;
  const options = (client: HttpClient) => ({ signal: new AbortController().signal, httpClient: client, httpOptions: createAzureHttpOptions({ proxy: undefined, userAgentPrefix: 'test' }) });

  before(() => {
    requestFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'smoke-')), 'request.json');
    fs.writeFileSync(requestFile, '{"data": [[1, 2, 3]]}');
    spec = {
      requestFile,
      expectedStatus: 200,
      assertions: parseJsonAssertions('$.predictions length 3', 'smokeTestAssertions'),
      attempts: 4,
      retryDelayMs: 0,
      timeoutMs: 5_000,
    };
  });
  after(() => fs.rmSync(path.dirname(requestFile), { recursive: true, force: true }));

  it('POSTs the request file with the credential and the deployment header; passes on the expected answer', async () => {
    const client = fakeClient([{ status: 200, body: OK_BODY, headers: { 'azureml-model-deployment': 'blue' } }]);
    const result = await runSmokeTest({ scoringUri: 'https://qa.westeurope.inference.ml.azure.com/score', auth: AUTH, deploymentName: 'blue' }, spec, options(client));
    assert.equal(result.passed, true);
    assert.equal(result.attempts, 1);
    assert.equal(result.status, 200);
    assert.equal(result.servedBy, 'blue');
    assert.deepEqual(result.failures, []);
    const [request] = client.requests;
    assert.equal(request?.method, 'POST');
    assert.equal(request?.url, 'https://qa.westeurope.inference.ml.azure.com/score');
    assert.equal(request?.headers.get('authorization'), 'Bearer test-scoring-key');
    assert.equal(request?.headers.get('azureml-model-deployment'), 'blue');
    assert.equal(request?.headers.get('content-type'), 'application/json');
    assert.equal(Buffer.from(request?.body as Buffer).toString('utf8'), '{"data": [[1, 2, 3]]}');
  });

  it('retries connection errors, timeouts and 5xx, then passes', async () => {
    const refused = new RestError('connect ECONNREFUSED 127.0.0.1:443', { code: 'ECONNREFUSED' });
    const client = fakeClient([refused, { status: 503, body: 'warming up', headers: { 'retry-after-ms': '1' } }, { status: 429 }, { status: 200, body: OK_BODY }]);
    const result = await runSmokeTest({ scoringUri: 'https://qa.example/score', auth: AUTH }, spec, options(client));
    assert.equal(result.passed, true);
    assert.equal(result.attempts, 4);
  });

  it('gives up after the attempts, saying why the last one failed', async () => {
    const client = fakeClient([{ status: 502 }, { status: 502 }, { status: 504, body: 'upstream timed out' }, { status: 503, body: 'no healthy upstream' }]);
    const result = await runSmokeTest({ scoringUri: 'https://qa.example/score', auth: AUTH }, spec, options(client));
    assert.equal(result.passed, false);
    assert.equal(result.attempts, 4);
    assert.equal(result.status, 503);
    assert.deepEqual(result.failures, ['HTTP 503, expected 200 (after 4 attempts)']);
    assert.equal(result.responseExcerpt, 'no healthy upstream');
  });

  it('does not retry a wrong status that is not transient, nor a failed assertion', async () => {
    const unauthorized = await runSmokeTest({ scoringUri: 'https://qa.example/score', auth: AUTH }, spec, options(fakeClient([{ status: 401, body: 'key_auth_access_denied' }])));
    assert.deepEqual([unauthorized.passed, unauthorized.attempts, unauthorized.failures], [false, 1, ['HTTP 401, expected 200']]);
    const wrong = await runSmokeTest({ scoringUri: 'https://qa.example/score', auth: AUTH }, spec, options(fakeClient([{ status: 200, body: '{"predictions": [1]}' }])));
    assert.deepEqual([wrong.passed, wrong.attempts, wrong.failures], [false, 1, ["assertion '$.predictions length 3' failed: $.predictions has length 1, not 3"]]);
    const notJson = await runSmokeTest({ scoringUri: 'https://qa.example/score', auth: AUTH }, spec, options(fakeClient([{ status: 200, body: '<html>' }])));
    assert.deepEqual(notJson.failures, ['the response is not JSON, so the assertions cannot be checked']);
  });

  it('masks registered secrets in the response excerpt and the summary escapes Markdown', async () => {
    registerSecret('echoed-secret-value');
    const result = await runSmokeTest({ scoringUri: 'https://qa.example/score', auth: AUTH }, spec, options(fakeClient([{ status: 400, body: 'bad | input <b> echoed-secret-value' }])));
    assert.equal(result.responseExcerpt, 'bad | input <b> ***');
    const summary = smokeTestSummary([{ ...result, label: "deployment 'blue'" }]);
    assert.match(summary, /\| deployment 'blue' \| ❌ failed \| 400 \|/);
    assert.match(summary, /- HTTP 400, expected 200/);
    assert.ok(summary.includes('`bad | input <b> ***`'), summary);
  });

  describe('which attempts are retried (judgeAttempt)', () => {
    const base = { expectedStatus: 200, assertions: [], latencyBudgetMs: 500 };
    const response = (status: number, latencyMs = 10) => ({ kind: 'response' as const, status, latencyMs, body: '{}' });

    it('retriable: connection errors, 408, 429, every 5xx, and answers over the latency budget', () => {
      assert.equal(judgeAttempt({ kind: 'error', reason: 'connection error ECONNRESET' }, base).verdict, 'retry');
      for (const status of [408, 429, 500, 502, 503, 504, 599]) assert.equal(judgeAttempt(response(status), base).verdict, 'retry', String(status));
      assert.deepEqual(judgeAttempt(response(200, 800), base), { verdict: 'retry', reason: 'answered in 800 ms, over the latency budget of 500 ms' });
      assert.equal(isRetriableStatus(404), false);
    });

    it('final: the expected status (even a 5xx one), other 4xx', () => {
      assert.deepEqual(judgeAttempt(response(200), base), { verdict: 'pass' });
      assert.deepEqual(judgeAttempt(response(503), { ...base, expectedStatus: 503 }), { verdict: 'pass' });
      for (const status of [400, 401, 403, 404, 422]) assert.equal(judgeAttempt(response(status), base).verdict, 'fail', String(status));
    });
  });
});
