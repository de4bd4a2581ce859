import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

import {
  createDefaultHttpClient,
  createHttpHeaders,
  createPipelineRequest,
  PipelineResponse,
  RestError,
} from '@azure/core-rest-pipeline';
import {
  AzureHttpOptions,
  AzureRequestError,
  createHttpPipeline,
  createRetryStrategy,
  isProxyBypassed,
  proxyAgentFor,
  proxySettingsFor,
  readAgentProxy,
  sendJsonRequest,
  serverRequestedDelayMs,
} from '@azureml-mlops/shared';

import { captureStdout, fakeAgent } from './support/fakeAgent';

type Step = { status: number; headers?: Record<string, string>; body?: string } | 'reset';

/** A local HTTP server answering each request with the next scripted step (the last one repeats). */
async function scriptedServer(steps: Step[]): Promise<{ url: string; requests: http.IncomingMessage[]; close(): Promise<void> }> {
  const requests: http.IncomingMessage[] = [];
  const server = http.createServer((req, res) => {
    const step = steps[Math.min(requests.length, steps.length - 1)];
    requests.push(req);
    if (step === 'reset') {
      req.socket.destroy();
      return;
    }
    res.writeHead(step.status, { 'content-type': 'application/json', ...step.headers });
    res.end(step.body ?? '{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/resource`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const options: AzureHttpOptions = {
  userAgentPrefix: 'azureml-mlops-tasks/9.9.9 TestTask/1.0.0',
  proxy: undefined,
  retry: { maxRetries: 3, baseDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 5_000 },
};

async function get(url: string): Promise<PipelineResponse> {
  const pipeline = createHttpPipeline(options);
  const request = createPipelineRequest({ url, method: 'GET', allowInsecureConnection: true });
  return (await captureStdout(() => pipeline.sendRequest(createDefaultHttpClient(), request))).result;
}

function response(status: number, headers: Record<string, string> = {}): PipelineResponse {
  return { status, headers: createHttpHeaders(headers), request: createPipelineRequest({ url: 'https://x/y', method: 'GET' }) };
}

describe('shared/azure/httpPolicies retry', () => {
  describe('against a local server', () => {
    for (const status of [429, 503, 408, 500, 502, 504]) {
      it(`retries ${status} and returns the success that follows`, async () => {
        const server = await scriptedServer([{ status }, { status: 200, body: '{"ok":true}' }]);
        try {
          const result = await get(server.url);
          assert.equal(result.status, 200);
          assert.equal(server.requests.length, 2);
        } finally {
          await server.close();
        }
      });
    }

    it('honours Retry-After in seconds', async () => {
      const server = await scriptedServer([{ status: 429, headers: { 'retry-after': '1' } }, { status: 200 }]);
      try {
        assert.equal((await get(server.url)).status, 200);
        assert.equal(server.requests.length, 2);
      } finally {
        await server.close();
      }
    });

    it('honours Retry-After as an HTTP date and retry-after-ms', async () => {
      const server = await scriptedServer([
        { status: 503, headers: { 'retry-after': new Date(Date.now() + 1000).toUTCString() } },
        { status: 503, headers: { 'retry-after-ms': '20' } },
        { status: 502, headers: { 'x-ms-retry-after-ms': '10' } },
        { status: 200 },
      ]);
      try {
        assert.equal((await get(server.url)).status, 200);
        assert.equal(server.requests.length, 4);
      } finally {
        await server.close();
      }
    });

    it('retries a connection reset', async () => {
      const server = await scriptedServer(['reset', { status: 200 }]);
      try {
        assert.equal((await get(server.url)).status, 200);
        assert.equal(server.requests.length, 2);
      } finally {
        await server.close();
      }
    });

    it('does not retry a 400', async () => {
      const server = await scriptedServer([{ status: 400, body: '{"error":{"code":"BadRequest","message":"nope"}}' }, { status: 200 }]);
      try {
        assert.equal((await get(server.url)).status, 400);
        assert.equal(server.requests.length, 1);
      } finally {
        await server.close();
      }
    });

    it('gives up after maxRetries and returns the last answer', async () => {
      const server = await scriptedServer([{ status: 503 }]);
      try {
        assert.equal((await get(server.url)).status, 503);
        assert.equal(server.requests.length, options.retry.maxRetries + 1);
      } finally {
        await server.close();
      }
    });

    it('sends the task user agent', async () => {
      const server = await scriptedServer([{ status: 200 }]);
      try {
        await get(server.url);
        assert.match(server.requests[0].headers['user-agent'] ?? '', /^azureml-mlops-tasks\/9\.9\.9 TestTask\/1\.0\.0 /);
      } finally {
        await server.close();
      }
    });

    it('turns a service error into an AzureRequestError with code and message, without the query string', async () => {
      const server = await scriptedServer([{ status: 409, body: '{"error":{"code":"Conflict","message":"The job is already running."}}' }]);
      try {
        const pipeline = createHttpPipeline(options);
        const send = (request: ReturnType<typeof createPipelineRequest>) => {
          request.allowInsecureConnection = true;
          return pipeline.sendRequest(createDefaultHttpClient(), request);
        };
        const error = await sendJsonRequest(send, 'PUT', `${server.url}?sig=secret`, { body: { a: 1 } }).then(
          () => assert.fail('expected an error'),
          (e: unknown) => e,
        );
        assert.ok(error instanceof AzureRequestError);
        assert.equal(error.status, 409);
        assert.equal(error.code, 'Conflict');
        assert.equal(error.message, `PUT ${server.url} failed with HTTP 409 Conflict: The job is already running.`);
      } finally {
        await server.close();
      }
    });
  });

  describe('strategy', () => {
    const settings = { maxRetries: 5, baseDelayMs: 1000, maxDelayMs: 8000, maxRetryAfterMs: 60_000 };
    const strategy = createRetryStrategy(settings, { now: () => Date.parse('2030-01-01T00:00:00Z'), random: () => 0.5 });
    const retry = (state: Parameters<typeof strategy.retry>[0]) => captureStdout(() => strategy.retry(state)).then((r) => r.result);

    it('waits what the server asks, capped', async () => {
      assert.deepEqual(await retry({ retryCount: 0, response: response(429, { 'retry-after': '7' }) }), { retryAfterInMs: 7000 });
      assert.deepEqual(await retry({ retryCount: 0, response: response(503, { 'retry-after': 'Tue, 01 Jan 2030 00:00:30 GMT' }) }), { retryAfterInMs: 30_000 });
      assert.deepEqual(await retry({ retryCount: 0, response: response(500, { 'retry-after-ms': '250' }) }), { retryAfterInMs: 250 });
      assert.deepEqual(await retry({ retryCount: 0, response: response(429, { 'retry-after': '3600' }) }), { retryAfterInMs: 60_000 });
    });

    it('backs off exponentially with jitter, capped, when the server says nothing', async () => {
      assert.deepEqual(await retry({ retryCount: 0, response: response(502) }), { retryAfterInMs: 750 });
      assert.deepEqual(await retry({ retryCount: 2, response: response(502) }), { retryAfterInMs: 3000 });
      assert.deepEqual(await retry({ retryCount: 6, response: response(502) }), { retryAfterInMs: 6000 });
    });

    it('skips answers and errors that are not transient', async () => {
      assert.deepEqual(await retry({ retryCount: 0, response: response(404) }), { skipStrategy: true });
      assert.deepEqual(await retry({ retryCount: 0, responseError: new RestError('bad cert', { code: 'CERT_HAS_EXPIRED' }) }), { skipStrategy: true });
      const reset = new RestError('socket hang up', { code: 'ECONNRESET' });
      assert.deepEqual(await retry({ retryCount: 0, responseError: reset }), { retryAfterInMs: 750 });
    });

    it('reads server delays only from headers that parse', () => {
      assert.equal(serverRequestedDelayMs(response(429, { 'retry-after': 'soon' })), undefined);
      assert.equal(serverRequestedDelayMs(response(429, { 'retry-after': 'Tue, 01 Jan 2000 00:00:00 GMT' })), 0);
      assert.equal(serverRequestedDelayMs(response(429)), undefined);
    });
  });
});

describe('shared/pipeline/proxy', () => {
  const env = fakeAgent({
    proxy: {
      proxyUrl: 'http://proxy.corp:8888',
      proxyUsername: 'agent',
      proxyPassword: 'proxy-password-1',
      proxyBypassHosts: ['127\\.0\\.0\\.1', 'management\\.azure\\.com', '[invalid'],
    },
  });

  it('reads the agent proxy, skips invalid bypass patterns and registers the password', async () => {
    const { result: proxy, output } = await captureStdout(() => readAgentProxy(env));
    assert.ok(proxy);
    assert.equal(proxy.url.href, 'http://proxy.corp:8888/');
    assert.equal(proxy.bypass.length, 2);
    assert.ok(output.includes('##vso[task.setsecret]proxy-password-1'));
    assert.ok(output.includes("'[invalid'"), 'warns about the invalid pattern');
  });

  it('bypasses matching URLs and proxies the others', async () => {
    const { result: proxy } = await captureStdout(() => readAgentProxy(env));
    assert.ok(proxy);
    assert.equal(isProxyBypassed(proxy, 'https://127.0.0.1:8443/subscriptions'), true);
    assert.equal(proxySettingsFor(proxy, 'https://MANAGEMENT.azure.com/x'), undefined);
    assert.deepEqual(proxySettingsFor(proxy, 'https://acct.blob.core.windows.net/c'), {
      host: 'http://proxy.corp',
      port: 8888,
      username: 'agent',
      password: 'proxy-password-1',
    });
    assert.equal(proxyAgentFor(proxy, 'https://127.0.0.1/x'), undefined);
    assert.ok(proxyAgentFor(proxy, 'https://acct.blob.core.windows.net/c'));
  });

  it('is absent when the agent has no proxy', () => {
    assert.equal(readAgentProxy(fakeAgent()), undefined);
    assert.equal(proxySettingsFor(undefined, 'https://x'), undefined);
  });

  it('sends proxied requests to the proxy and bypassed ones direct', async () => {
    // The "proxy" is a plain HTTP server: for http:// targets a proxied request arrives with the absolute URL.
    const proxyServer = await scriptedServer([{ status: 200, body: '{"via":"proxy"}' }]);
    const target = await scriptedServer([{ status: 200, body: '{"via":"direct"}' }]);
    try {
      const proxyUrl = new URL(proxyServer.url);
      const proxy = {
        url: new URL(`http://127.0.0.1:${proxyUrl.port}`),
        bypass: [/\/bypassed/],
      };
      const pipeline = createHttpPipeline({ ...options, proxy });
      const send = async (path: string) => {
        const request = createPipelineRequest({ url: `${target.url}${path}`, method: 'GET', allowInsecureConnection: true });
        return (await pipeline.sendRequest(createDefaultHttpClient(), request)).bodyAsText;
      };
      assert.equal(await send('/proxied'), '{"via":"proxy"}');
      assert.equal(proxyServer.requests[0].url, `${target.url}/proxied`);
      assert.equal(await send('/bypassed'), '{"via":"direct"}');
      assert.equal(target.requests.length, 1);
    } finally {
      await proxyServer.close();
      await target.close();
    }
  });
});
