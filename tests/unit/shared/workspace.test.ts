import * as assert from 'node:assert/strict';
import { Readable } from 'node:stream';

import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { createHttpHeaders, HttpClient, PipelineRequest, PipelineResponse } from '@azure/core-rest-pipeline';
import {
  AzureHttpOptions,
  AzureRmConnection,
  InputError,
  TaskError,
  WorkspaceClient,
  containsRegisteredSecret,
  createArmClient,
  openWorkspace,
} from '@azureml-mlops/shared';

import { captureStdout } from './support/fakeAgent';

const ARM = 'https://arm.test';
const HISTORY = 'https://region.api.test';
const WS_PATH = '/subscriptions/sub-1/resourceGroups/rg-1/providers/Microsoft.MachineLearningServices/workspaces/ws-1';
const SCOPE = WS_PATH.slice(1);

type Reply = { status: number; body?: unknown; headers?: Record<string, string>; bytes?: Buffer };
type Route = (request: PipelineRequest, url: URL) => Reply | undefined;

/** An HttpClient that answers from routes and records every request (no network). */
class FakeHttp implements HttpClient {
  readonly requests: PipelineRequest[] = [];
  constructor(private readonly routes: Route[]) {}

  async sendRequest(request: PipelineRequest): Promise<PipelineResponse> {
    this.requests.push(request);
    const url = new URL(request.url);
    for (const route of this.routes) {
      const reply = route(request, url);
      if (!reply) continue;
      const headers = createHttpHeaders({ 'content-type': 'application/json', ...reply.headers });
      if (reply.bytes && request.streamResponseStatusCodes?.has(reply.status)) {
        return { request, status: reply.status, headers, readableStreamBody: Readable.from([reply.bytes]) };
      }
      return { request, status: reply.status, headers, bodyAsText: reply.body === undefined ? '' : JSON.stringify(reply.body) };
    }
    return { request, status: 599, headers: createHttpHeaders(), bodyAsText: `no route for ${request.method} ${request.url}` };
  }

  find(method: string, pathPart: string): PipelineRequest[] {
    return this.requests.filter((r) => r.method === method && r.url.includes(pathPart));
  }
}

const on = (method: string, path: string | RegExp, reply: Reply | ((request: PipelineRequest, url: URL) => Reply)): Route => (request, url) => {
  if (request.method !== method) return undefined;
  const matches = typeof path === 'string' ? `${url.origin}${url.pathname}` === path : path.test(request.url);
  if (!matches) return undefined;
  return typeof reply === 'function' ? reply(request, url) : reply;
};

const workspaceRoute = on('GET', `${ARM}${WS_PATH}`, {
  status: 200,
  body: { id: WS_PATH, name: 'ws-1', location: 'westeurope', properties: { discoveryUrl: `${HISTORY}/discovery` } },
});
const discoveryRoute = on('GET', `${HISTORY}/discovery`, { status: 200, body: { api: HISTORY, history: `${HISTORY}/`, experimentation: HISTORY } });

const connection: AzureRmConnection = {
  id: 'conn-1',
  inputName: 'azureSubscription',
  scheme: 'ServicePrincipal',
  credential: { kind: 'servicePrincipalSecret', clientSecret: 's' },
  tenantId: 'tenant-1',
  clientId: 'client-1',
  subscriptionId: 'sub-1',
  subscriptionName: 'Sub One',
  armUrl: ARM,
  authorityHost: 'https://login.test',
  isAdfs: false,
  resourceId: `${ARM}/`,
  scope: `${ARM}//.default`,
  environment: 'AzureCloud',
  scopeLevel: 'Subscription',
};

const httpOptions: AzureHttpOptions = {
  userAgentPrefix: 'azureml-mlops-tasks/1.0.0 TestTask/1.0.0',
  proxy: undefined,
  retry: { maxRetries: 1, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1 },
};

const scopesRequested: string[][] = [];
const credential: TokenCredential = {
  async getToken(scopes): Promise<AccessToken> {
    scopesRequested.push(Array.isArray(scopes) ? scopes : [scopes]);
    return { token: 'arm-token', expiresOnTimestamp: Date.now() + 3_600_000 };
  },
};

async function open(http: FakeHttp, extra: { resourceGroup?: string; workspaceName?: string } = { resourceGroup: 'rg-1', workspaceName: 'ws-1' }): Promise<WorkspaceClient> {
  return openWorkspace({ connection, credential, httpOptions, httpClient: http, ...extra });
}

async function openError(http: FakeHttp): Promise<unknown> {
  return open(http).then(() => assert.fail('expected an error'), (e: unknown) => e);
}

describe('shared/azure/workspace', () => {
  it("reads the workspace through the connection's ARM URL with its scope and the task user agent", async () => {
    const http = new FakeHttp([workspaceRoute]);
    const client = await open(http);
    assert.equal(client.workspace.name, 'ws-1');
    assert.equal(client.workspaceArmPath, WS_PATH);
    const [request] = http.requests;
    assert.equal(request.url, `${ARM}${WS_PATH}?api-version=2022-10-01`);
    assert.equal(request.headers.get('authorization'), 'Bearer arm-token');
    assert.match(request.headers.get('user-agent') ?? '', /^azureml-mlops-tasks\/1\.0\.0 TestTask\/1\.0\.0 azsdk-js-arm-machinelearning/);
    assert.deepEqual(scopesRequested.at(-1), [`${ARM}//.default`]);
  });

  it("replaces the SDK's default retry with the task's retry policy and retries a throttled call", async () => {
    let calls = 0;
    const http = new FakeHttp([
      on('GET', `${ARM}${WS_PATH}`, (request, url) => {
        calls += 1;
        return calls === 1 ? { status: 429, headers: { 'retry-after-ms': '1' } } : (workspaceRoute(request, url) as Reply);
      }),
    ]);
    const client = await open(http);
    assert.equal(calls, 2);
    const names = client.arm.pipeline.getOrderedPolicies().map((policy) => policy.name);
    assert.equal(names.filter((name) => /retry/i.test(name)).join(','), 'retryPolicy');
  });

  it('applies the agent proxy per request, before the SDK proxy policy', () => {
    const proxy = { url: new URL('http://proxy.test:8080'), bypass: [/arm\.test/] };
    const arm = createArmClient(connection, credential, { ...httpOptions, proxy });
    const names = arm.pipeline.getOrderedPolicies().map((policy) => policy.name);
    assert.ok(names.indexOf('azuremlMlopsAgentProxyPolicy') >= 0, names.join(','));
    assert.ok(names.indexOf('azuremlMlopsAgentProxyPolicy') < names.indexOf('proxyPolicy'), names.join(','));
  });

  it('uses the workspace of a workspace-scoped connection when the inputs are empty', async () => {
    const http = new FakeHttp([workspaceRoute]);
    const scoped = { ...connection, workspaceScope: { resourceGroup: 'rg-1', workspaceName: 'ws-1' } };
    const client = await openWorkspace({ connection: scoped, credential, httpOptions, httpClient: http });
    assert.equal(client.resourceGroup, 'rg-1');
    await assert.rejects(openWorkspace({ connection, credential, httpOptions, httpClient: http }), (error: unknown) => {
      assert.ok(error instanceof InputError);
      assert.equal(error.inputName, 'resourceGroup');
      assert.match(error.message, /use a service connection scoped to the Azure ML workspace/);
      return true;
    });
  });

  it('lists the workspaces that exist when the name is wrong', async () => {
    const http = new FakeHttp([
      on('GET', `${ARM}${WS_PATH}`, { status: 404, body: { error: { code: 'ResourceNotFound', message: 'not found' } } }),
      on('GET', `${ARM}/subscriptions/sub-1/resourceGroups/rg-1/providers/Microsoft.MachineLearningServices/workspaces`, {
        status: 200,
        body: { value: [{ name: 'ws-prod' }, { name: 'ws-dev' }] },
      }),
    ]);
    const error = await openError(http);
    assert.ok(error instanceof InputError);
    assert.equal(error.inputName, 'workspace');
    assert.equal(
      error.message,
      "Input 'workspace': the Azure ML workspace 'ws-1' was not found in resource group 'rg-1' (subscription 'Sub One' (sub-1)). Workspaces in that resource group: ws-dev, ws-prod.",
    );
  });

  it('names the resource group input when the resource group does not exist', async () => {
    const http = new FakeHttp([on('GET', `${ARM}${WS_PATH}`, { status: 404, body: { error: { code: 'ResourceGroupNotFound', message: 'nope' } } })]);
    const error = await openError(http);
    assert.ok(error instanceof InputError);
    assert.equal(error.inputName, 'resourceGroup');
    assert.match(error.message, /the resource group 'rg-1' was not found in subscription 'Sub One'/);
  });

  it('explains a missing role', async () => {
    const http = new FakeHttp([on('GET', `${ARM}${WS_PATH}`, { status: 403, body: { error: { code: 'AuthorizationFailed', message: 'no' } } })]);
    const error = await openError(http);
    assert.ok(error instanceof TaskError);
    assert.match(error.message, /may not read the Azure ML workspace 'ws-1'.*HTTP 403 AuthorizationFailed.*AzureML Data Scientist/);
  });

  describe('data plane', () => {
    const run = (id: string, parent?: string) => ({
      info: { run_id: id, experiment_id: 'exp-7', status: 'FINISHED' },
      data: { metrics: [{ key: 'r2', value: 0.5, timestamp: 1, step: 0 }], tags: parent ? [{ key: 'mlflow.parentRunId', value: parent }] : [] },
    });
    const mlflow = `${HISTORY}/mlflow/v1.0/${SCOPE}/api/2.0/mlflow`;

    it('discovers the history host once, anonymously, and calls MLflow under the workspace scope', async () => {
      const http = new FakeHttp([
        workspaceRoute,
        discoveryRoute,
        on('GET', `${mlflow}/runs/get`, (_, url) => (url.searchParams.get('run_id') === 'job-1' ? { status: 200, body: { run: run('job-1') } } : { status: 404, body: { error_code: 'RESOURCE_DOES_NOT_EXIST', message: 'no run' } })),
        on('GET', `${mlflow}/metrics/get-history`, (_, url) =>
          url.searchParams.get('page_token')
            ? { status: 200, body: { metrics: [{ key: 'loss', value: 0.1, timestamp: 3, step: 2 }] } }
            : { status: 200, body: { metrics: [{ key: 'loss', value: 0.9, timestamp: 2, step: 1 }], next_page_token: 'p2' } },
        ),
      ]);
      const client = await open(http);
      assert.deepEqual(await client.mlflow.latestMetrics('job-1'), { r2: 0.5 });
      assert.equal(await client.mlflow.getRun('missing'), undefined);
      const history = await client.mlflow.getMetricHistory('job-1', 'loss');
      assert.deepEqual(history.map((m) => m.value), [0.9, 0.1]);
      const discovery = http.find('GET', '/discovery');
      assert.equal(discovery.length, 1, 'discovery is cached');
      assert.equal(discovery[0].headers.get('authorization'), undefined, 'discovery is anonymous');
      const get = http.find('GET', '/runs/get')[0];
      assert.equal(get.url, `${mlflow}/runs/get?run_id=job-1`);
      assert.equal(get.headers.get('authorization'), 'Bearer arm-token');
    });

    it('finds child runs by parentRunId in the parent experiment', async () => {
      const http = new FakeHttp([
        workspaceRoute,
        discoveryRoute,
        on('GET', `${mlflow}/runs/get`, { status: 200, body: { run: run('pipeline-1') } }),
        on('POST', `${mlflow}/runs/search`, (request) => {
          const body = JSON.parse(String(request.body)) as { page_token?: string };
          return body.page_token
            ? { status: 200, body: { runs: [run('step-2', 'pipeline-1')] } }
            : { status: 200, body: { runs: [run('step-1', 'pipeline-1')], next_page_token: 't2' } };
        }),
      ]);
      const client = await open(http);
      const children = await client.mlflow.childRuns('pipeline-1');
      assert.deepEqual(children.map((r) => r.info.run_id), ['step-1', 'step-2']);
      const firstSearch = JSON.parse(String(http.find('POST', '/runs/search')[0].body)) as Record<string, unknown>;
      assert.deepEqual(firstSearch.experiment_ids, ['exp-7']);
      assert.equal(firstSearch.filter, "tags.mlflow.parentRunId = 'pipeline-1'");
    });

    it('reads run details, registers the log SAS URLs and reads logs from an offset', async () => {
      const sas = 'https://acct.blob.core.windows.net/azureml/ExperimentRun/dcid.job-1/user_logs/std_log.txt?sv=2021&sig=log-signature-123';
      const http = new FakeHttp([
        workspaceRoute,
        discoveryRoute,
        on('GET', `${HISTORY}/history/v1.0/${SCOPE}/runs/job-1/details`, { status: 200, body: { runId: 'job-1', status: 'Running', logFiles: { 'user_logs/std_log.txt': sas } } }),
        on('GET', /std_log\.txt/, (request) => {
          const range = request.headers.get('range');
          if (range === 'bytes=11-') return { status: 206, bytes: Buffer.from('more\n') };
          if (range === 'bytes=16-') return { status: 416 };
          return { status: 400 };
        }),
      ]);
      const client = await open(http);
      const { result: details } = await captureStdout(() => client.runHistory.getRunDetails('job-1'));
      assert.equal(details?.status, 'Running');
      assert.equal(containsRegisteredSecret(`see ${sas}`), true);
      assert.equal(containsRegisteredSecret('log-signature-123'), true);
      const chunk = await client.runHistory.readLogFile(details!.logFiles['user_logs/std_log.txt'], 11);
      assert.equal(chunk.data.toString(), 'more\n');
      assert.equal(chunk.nextByte, 16);
      const none = await client.runHistory.readLogFile(sas, 16);
      assert.equal(none.data.length, 0);
      assert.equal(none.nextByte, 16);
      const logRequest = http.find('GET', 'std_log.txt')[0];
      assert.equal(logRequest.headers.get('authorization'), undefined, 'the SAS is the credential: no bearer token to storage');
    });
  });

  it('sends raw ARM bodies unchanged and waits for long-running operations', async () => {
    let polls = 0;
    const http = new FakeHttp([
      workspaceRoute,
      on('PUT', `${ARM}${WS_PATH}/onlineEndpoints/ep-1`, {
        status: 201,
        body: {},
        headers: { 'azure-asyncoperation': `${ARM}/operations/op-1?api-version=2022-10-01` },
      }),
      on('GET', `${ARM}/operations/op-1`, () => {
        polls += 1;
        return { status: 200, body: { status: polls < 2 ? 'InProgress' : 'Succeeded' } };
      }),
      on('GET', `${ARM}${WS_PATH}/onlineEndpoints/ep-1`, { status: 200, body: { name: 'ep-1', properties: { mirrorTraffic: { blue: 10 } } } }),
    ]);
    const client = await open(http);
    const body = { location: 'westeurope', properties: { authMode: 'Key', mirrorTraffic: { blue: 10 } } };
    const result = await client.armRequestAndWait<{ name: string }>('PUT', `${WS_PATH}/onlineEndpoints/ep-1`, body, { pollIntervalMs: 1 });
    assert.equal(result.body?.name, 'ep-1');
    assert.equal(polls, 2);
    const put = http.find('PUT', 'onlineEndpoints')[0];
    assert.equal(put.url, `${ARM}${WS_PATH}/onlineEndpoints/ep-1?api-version=2022-10-01`);
    assert.deepEqual(JSON.parse(String(put.body)), body);
    assert.equal(put.headers.get('authorization'), 'Bearer arm-token');
  });

  it('reports a failed long-running operation with its code and message', async () => {
    const http = new FakeHttp([
      workspaceRoute,
      on('DELETE', `${ARM}${WS_PATH}/onlineEndpoints/ep-1`, { status: 202, headers: { 'azure-asyncoperation': `${ARM}/operations/op-2` } }),
      on('GET', `${ARM}/operations/op-2`, { status: 200, body: { status: 'Failed', error: { code: 'EndpointBusy', message: 'A deployment is updating.' } } }),
    ]);
    const client = await open(http);
    await assert.rejects(client.armRequestAndWait('DELETE', `${WS_PATH}/onlineEndpoints/ep-1`, undefined, { pollIntervalMs: 1 }), (error: unknown) => {
      assert.ok(error instanceof TaskError);
      assert.equal(error.message, `DELETE ${WS_PATH}/onlineEndpoints/ep-1: the operation ended Failed (EndpointBusy): A deployment is updating.`);
      return true;
    });
  });

  it('opens the default datastore as a container client and registers its key', async () => {
    const key = Buffer.from('storage-account-key-1').toString('base64');
    const http = new FakeHttp([
      workspaceRoute,
      on('GET', `${ARM}${WS_PATH}/datastores`, (_, url) => {
        assert.equal(url.searchParams.get('isDefault'), 'true');
        return {
          status: 200,
          body: {
            value: [
              {
                id: `${WS_PATH}/datastores/workspaceblobstore`,
                name: 'workspaceblobstore',
                properties: {
                  datastoreType: 'AzureBlob',
                  accountName: 'acct',
                  containerName: 'azureml-blobstore-1',
                  endpoint: 'core.windows.net',
                  protocol: 'https',
                  credentials: { credentialsType: 'AccountKey' },
                },
              },
            ],
          },
        };
      }),
      on('POST', `${ARM}${WS_PATH}/datastores/workspaceblobstore/listSecrets`, { status: 200, body: { secretsType: 'AccountKey', key } }),
    ]);
    const client = await open(http);
    const { result: datastore } = await captureStdout(() => client.defaultDatastore());
    assert.equal(datastore.name, 'workspaceblobstore');
    assert.equal(datastore.containerUrl, 'https://acct.blob.core.windows.net/azureml-blobstore-1');
    assert.equal(datastore.containerClient.url, 'https://acct.blob.core.windows.net/azureml-blobstore-1');
    assert.equal(containsRegisteredSecret(key), true);
    assert.equal(await client.defaultDatastore(), datastore, 'cached');
  });
});
