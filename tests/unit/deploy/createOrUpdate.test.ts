/**
 * Create-or-update of online endpoints and deployments (shared/src/deploy) against an in-memory ARM fake: what is
 * PUT (our fields merged into what is there, unknown fields kept, read-only fields dropped), when nothing is sent,
 * waiting for the operations, failures with the containers' logs, traffic, deletion.
 */
import * as assert from 'node:assert/strict';

import { createHttpHeaders } from '@azure/core-rest-pipeline';
import {
  AzureRequestError,
  changedPaths,
  createOrUpdateDeployment,
  createOrUpdateEndpoint,
  deleteDeployment,
  DeploymentFailedError,
  type DeployWorkspace,
  type EndpointSpec,
  inputValue,
  MAX_POLL_DELAY_MS,
  mergeInto,
  pollDelay,
  rebalanceTraffic,
  registerSecret,
  type ResolvedDeployment,
  setEndpointTraffic,
  TaskError,
  withoutReadOnly,
} from '@azureml-mlops/shared';

const WS = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws';
const EP = `${WS}/onlineEndpoints/qa-endpoint`;

interface Call {
  readonly method: string;
  readonly path: string;
  readonly apiVersion: string | null;
  readonly body?: unknown;
}

/** An ARM fake for one workspace: resources by path, every PUT starting an operation that succeeds (or fails). */
function fakeWorkspace(initial: Record<string, Record<string, unknown>> = {}, options: { failDeployment?: { code: string; message: string }; logs?: string; busy?: boolean } = {}) {
  const store = new Map(Object.entries(initial).map(([path, value]) => [path.toLowerCase(), structuredClone(value)]));
  const calls: Call[] = [];
  const operations = new Map<string, Record<string, unknown>>();
  const workspace: DeployWorkspace = {
    workspaceArmPath: WS,
    workspace: { location: 'westeurope' },
    armRequest: async <T>(method: string, target: string, body?: unknown, requestOptions: { allowedStatuses?: readonly number[]; apiVersion?: string } = {}) => {
      const url = new URL(target, 'https://management.azure.com');
      const path = decodeURIComponent(url.pathname);
      calls.push({ method, path, apiVersion: requestOptions.apiVersion ?? url.searchParams.get('api-version'), ...(body !== undefined ? { body } : {}) });
      const answer = (status: number, answerBody?: unknown, headers: Record<string, string> = {}) => {
        if (status >= 400 && !(requestOptions.allowedStatuses ?? []).includes(status)) throw new AzureRequestError(method, path, status, 'Fake', `fake ${status}`);
        return { status, headers: createHttpHeaders(headers), body: answerBody as T };
      };
      if (path.startsWith('/operations/')) return answer(200, operations.get(path));
      if (method === 'POST' && path.endsWith('/getLogs')) {
        const container = (body as { containerType: string }).containerType;
        return answer(200, { content: container === 'InferenceServer' ? (options.logs ?? '') : 'Model download completed.\n' });
      }
      const key = path.toLowerCase();
      if (method === 'GET') return store.has(key) ? answer(200, structuredClone(store.get(key))) : answer(404);
      if (method === 'PUT') {
        if (options.busy) return answer(409);
        const isDeployment = /\/deployments\/[^/]+$/.test(path);
        const failed = isDeployment && options.failDeployment;
        const created = !store.has(key);
        const resource: Record<string, unknown> = { ...(structuredClone(body) as Record<string, unknown>), id: path, name: path.split('/').pop() };
        (resource['properties'] as Record<string, unknown>)['provisioningState'] = failed ? 'Failed' : 'Succeeded';
        store.set(key, resource);
        const operation = `/operations/${operations.size + 1}`;
        operations.set(operation, failed ? { status: 'Failed', error: options.failDeployment } : { status: 'Succeeded' });
        return answer(created ? 201 : 200, resource, { 'azure-asyncoperation': `https://management.azure.com${operation}?api-version=x` });
      }
      if (method === 'DELETE') {
        const existed = store.delete(key);
        return answer(existed ? 202 : 204, undefined, existed ? { location: `https://management.azure.com/operations/done` } : {});
      }
      return answer(405);
    },
  } as DeployWorkspace;
  operations.set('/operations/done', { status: 'Succeeded' });
  return { workspace, calls, store, writes: () => calls.filter((c) => c.method !== 'GET' && !c.path.startsWith('/operations/')) };
}

const signal = new AbortController().signal;

function endpointSpec(body: Record<string, unknown> = {}, extra: Partial<EndpointSpec> = {}): EndpointSpec {
  return { name: 'qa-endpoint', computeType: 'Managed', body: body as EndpointSpec['body'], appliedOverrides: [], ...extra };
}

function deployment(properties: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): ResolvedDeployment {
  return {
    name: 'blue',
    endpointName: 'qa-endpoint',
    computeType: 'Managed',
    body: { properties: { endpointComputeType: 'Managed', instanceType: 'Standard_DS3_v2', model: `${WS}/models/m/versions/1`, ...properties } as never, ...extra } as ResolvedDeployment['body'],
    notes: [],
  };
}

const EXISTING_ENDPOINT = {
  id: EP,
  name: 'qa-endpoint',
  type: 'Microsoft.MachineLearningServices/workspaces/onlineEndpoints',
  location: 'westeurope',
  kind: 'Managed',
  tags: { owner: 'ops', model: 'diabetes' },
  identity: { type: 'SystemAssigned', principalId: 'p', tenantId: 't' },
  properties: {
    authMode: 'Key',
    description: 'old',
    scoringUri: 'https://qa-endpoint.westeurope.inference.ml.azure.com/score',
    swaggerUri: 'https://qa-endpoint.westeurope.inference.ml.azure.com/swagger.json',
    provisioningState: 'Succeeded',
    traffic: { blue: 100 },
    mirrorTraffic: { green: 10 },
    publicNetworkAccess: 'Enabled',
    somethingNewer: { setBy: 'another tool' },
  },
  systemData: { createdAt: '2025-01-01T00:00:00Z' },
};

describe('create-or-update of online endpoints and deployments (shared/src/deploy)', () => {
  describe('endpoints', () => {
    it('creates a new endpoint: location of the workspace, Key auth, system identity, no traffic; API 2023-04-01; waits', async () => {
      const fake = fakeWorkspace();
      const result = await createOrUpdateEndpoint(fake.workspace, endpointSpec({ tags: { team: 'risk' } }), { signal });
      assert.deepEqual([result.created, result.changed], [true, true]);
      const [put] = fake.writes();
      assert.equal(put?.apiVersion, '2023-04-01');
      assert.deepEqual(put?.body, { location: 'westeurope', identity: { type: 'SystemAssigned' }, tags: { team: 'risk' }, properties: { authMode: 'Key', traffic: {} } });
      assert.ok(fake.calls.some((c) => c.path === '/operations/2'), 'the operation was polled');
    });

    it('an existing endpoint: our fields merged in, everything else kept (tags, mirror traffic, unknown fields), read-only fields dropped', async () => {
      const fake = fakeWorkspace({ [EP]: EXISTING_ENDPOINT });
      const result = await createOrUpdateEndpoint(fake.workspace, endpointSpec({ properties: { description: 'new' }, tags: { model: 'diabetes-v2' } }), { signal });
      assert.deepEqual([result.created, result.changed], [false, true]);
      const [put] = fake.writes();
      assert.deepEqual(put?.body, {
        location: 'westeurope',
        kind: 'Managed',
        tags: { owner: 'ops', model: 'diabetes-v2' },
        identity: { type: 'SystemAssigned' },
        properties: { authMode: 'Key', description: 'new', traffic: { blue: 100 }, mirrorTraffic: { green: 10 }, publicNetworkAccess: 'Enabled', somethingNewer: { setBy: 'another tool' } },
      });
    });

    it('nothing to change: nothing sent (changed false); traffic in the spec is ignored unless keepTraffic is false', async () => {
      const fake = fakeWorkspace({ [EP]: EXISTING_ENDPOINT });
      const spec = endpointSpec({ properties: { description: 'old', authMode: 'key' }, tags: { owner: 'ops' } }, { traffic: { blue: 0 } });
      const result = await createOrUpdateEndpoint(fake.workspace, spec, { signal });
      assert.deepEqual([result.created, result.changed], [false, false]);
      assert.deepEqual(fake.writes(), []);
      const applied = await createOrUpdateEndpoint(fake.workspace, spec, { signal, keepTraffic: false });
      assert.equal(applied.changed, true);
      assert.deepEqual((fake.writes()[0]?.body as { properties: { traffic: unknown } }).properties.traffic, { blue: 0 });
    });

    it('an endpoint whose last provisioning failed is PUT again even when nothing changed (a re-run retries it)', async () => {
      const failed = { ...EXISTING_ENDPOINT, properties: { ...EXISTING_ENDPOINT.properties, provisioningState: 'Failed' } };
      const fake = fakeWorkspace({ [EP]: failed });
      const result = await createOrUpdateEndpoint(fake.workspace, endpointSpec({ properties: { description: 'old' } }), { signal });
      assert.deepEqual([result.created, result.changed], [false, true]);
      assert.equal(fake.writes().length, 1);
      assert.deepEqual((fake.writes()[0]?.body as { properties: { traffic: unknown } }).properties.traffic, { blue: 100 }, 'the traffic is kept');
    });

    it('refuses to turn a managed endpoint into a Kubernetes one, before any write', async () => {
      const fake = fakeWorkspace({ [EP]: EXISTING_ENDPOINT });
      const spec = endpointSpec({}, { computeType: 'Kubernetes', kubernetesCompute: inputValue('kubernetesCompute', 'k8s-compute') });
      await assert.rejects(createOrUpdateEndpoint(fake.workspace, spec, { signal }), /already exists as a Managed endpoint; it cannot become a Kubernetes endpoint/);
      assert.deepEqual(fake.writes(), []);
    });
  });

  describe('deployments', () => {
    const DEP = `${EP}/deployments/blue`;
    const EXISTING_DEPLOYMENT = {
      id: DEP,
      name: 'blue',
      location: 'westeurope',
      sku: { name: 'Default', capacity: 1 },
      properties: {
        endpointComputeType: 'Managed',
        instanceType: 'standard_ds3_v2',
        model: `azureml:${WS.toUpperCase()}/models/m/versions/1`,
        requestSettings: { requestTimeout: 'PT5.000S', maxConcurrentRequestsPerInstance: 1, maxQueueWait: 'PT0.5S' },
        environmentVariables: { A: '1', B: '2' },
        appInsightsEnabled: true,
        provisioningState: 'Succeeded',
      },
    };

    it('unchanged when the service answers our values in its own spelling (ids, durations, enum casing): no PUT', async () => {
      const fake = fakeWorkspace({ [EP]: EXISTING_ENDPOINT, [DEP]: EXISTING_DEPLOYMENT });
      const result = await createOrUpdateDeployment(fake.workspace, 'qa-endpoint', deployment({ requestSettings: { requestTimeout: 'PT5S' } }, { sku: { name: 'Default', capacity: 1 } }), { signal });
      assert.deepEqual([result.created, result.changed], [false, false]);
      assert.deepEqual(fake.writes(), []);
    });

    it('an update merges our fields in (environment variables replaced whole) and keeps the rest', async () => {
      const fake = fakeWorkspace({ [EP]: EXISTING_ENDPOINT, [DEP]: EXISTING_DEPLOYMENT });
      const result = await createOrUpdateDeployment(fake.workspace, 'qa-endpoint', deployment({ environmentVariables: { A: '1' } }, { sku: { name: 'Default', capacity: 2 } }), { signal });
      assert.equal(result.changed, true);
      const body = fake.writes()[0]?.body as { sku: unknown; properties: Record<string, unknown> };
      assert.equal(fake.writes()[0]?.apiVersion, '2022-10-01');
      assert.deepEqual(body.sku, { name: 'Default', capacity: 2 });
      assert.deepEqual(body.properties['environmentVariables'], { A: '1' });
      assert.equal(body.properties['appInsightsEnabled'], true);
      assert.equal(body.properties['provisioningState'], undefined);
    });

    it('a changed instance type is refused before any write (the service never changes it)', async () => {
      const fake = fakeWorkspace({ [EP]: EXISTING_ENDPOINT, [DEP]: EXISTING_DEPLOYMENT });
      await assert.rejects(createOrUpdateDeployment(fake.workspace, 'qa-endpoint', deployment({ instanceType: 'Standard_F4s_v2' }), { signal }), /exists with instanceType standard_ds3_v2, which cannot be changed to Standard_F4s_v2/);
      assert.deepEqual(fake.writes(), []);
    });

    it('a failed provisioning throws DeploymentFailedError with the service error, the last error line and both logs', async () => {
      const logs = '2025-01-01 | Invoking init\nTraceback (most recent call last):\n  File "score.py", line 3, in init\nFileNotFoundError: no model.json under /var/azureml-app\n';
      const fake = fakeWorkspace({ [EP]: EXISTING_ENDPOINT }, { failDeployment: { code: 'ResourceNotReady', message: 'User container has crashed or terminated.' }, logs });
      const error = await createOrUpdateDeployment(fake.workspace, 'qa-endpoint', deployment(), { signal, printLogsOnFailure: false }).then(
        () => assert.fail('expected a failure'),
        (e: unknown) => e,
      );
      assert.ok(error instanceof DeploymentFailedError);
      assert.equal(
        error.message,
        "Deployment 'blue' of endpoint 'qa-endpoint' failed (ResourceNotReady): User container has crashed or terminated. Last error in the inference server log: " +
          'FileNotFoundError: no model.json under /var/azureml-app. The inference server and storage initializer logs are in the task log above.',
      );
      assert.equal(error.logs.inferenceServer, logs);
      assert.equal(error.logs.storageInitializer, 'Model download completed.\n');
      assert.equal(error.code, 'ResourceNotReady');
    });

    it('a deployment whose last provisioning failed is PUT again even when nothing changed (a re-run retries it)', async () => {
      const failed = { ...EXISTING_DEPLOYMENT, properties: { ...EXISTING_DEPLOYMENT.properties, provisioningState: 'Failed' } };
      const fake = fakeWorkspace({ [EP]: EXISTING_ENDPOINT, [`${EP}/deployments/blue`]: failed });
      const result = await createOrUpdateDeployment(fake.workspace, 'qa-endpoint', deployment(), { signal });
      assert.equal(result.changed, true);
      assert.equal(fake.writes().length, 1);
    });
  });

  describe('traffic and deletion', () => {
    it('setEndpointTraffic PUTs back the whole endpoint with the new traffic, keeping the mirror unless given', async () => {
      const fake = fakeWorkspace({ [EP]: EXISTING_ENDPOINT });
      await setEndpointTraffic(fake.workspace, 'qa-endpoint', { blue: 90, green: 0 }, { signal });
      const body = fake.writes()[0]?.body as { properties: Record<string, unknown>; tags: unknown };
      assert.deepEqual(body.properties['traffic'], { blue: 90, green: 0 });
      assert.deepEqual(body.properties['mirrorTraffic'], { green: 10 });
      assert.deepEqual(body.properties['somethingNewer'], { setBy: 'another tool' });
      assert.equal(fake.writes()[0]?.apiVersion, '2023-04-01');
      const again = fakeWorkspace({ [EP]: EXISTING_ENDPOINT });
      await setEndpointTraffic(again.workspace, 'qa-endpoint', { blue: 100 }, { signal });
      assert.deepEqual(again.writes(), [], 'already so: nothing sent');
    });

    it('setEndpointTraffic refuses while the endpoint is being updated', async () => {
      const busy = { ...EXISTING_ENDPOINT, properties: { ...EXISTING_ENDPOINT.properties, provisioningState: 'Updating' } };
      const fake = fakeWorkspace({ [EP]: busy });
      await assert.rejects(setEndpointTraffic(fake.workspace, 'qa-endpoint', { blue: 100 }, { signal }), (e: unknown) => e instanceof TaskError && /is Updating: another operation on it is running/.test(e.message));
      const conflict = fakeWorkspace({ [EP]: EXISTING_ENDPOINT }, { busy: true });
      await assert.rejects(setEndpointTraffic(conflict.workspace, 'qa-endpoint', { blue: 0 }, { signal }), /refused the change because another operation on it is running \(HTTP 409/);
    });

    it('deleteDeployment refuses a deployment with traffic unless asked to move it; then moves it and deletes', async () => {
      const endpoint = { ...EXISTING_ENDPOINT, properties: { ...EXISTING_ENDPOINT.properties, traffic: { blue: 80, green: 20 }, mirrorTraffic: {} } };
      const fake = fakeWorkspace({ [EP]: endpoint, [`${EP}/deployments/green`]: { name: 'green', properties: {} } });
      await assert.rejects(deleteDeployment(fake.workspace, 'qa-endpoint', 'green', signal), /was not deleted: it takes 20% of the live traffic/);
      await deleteDeployment(fake.workspace, 'qa-endpoint', 'green', signal, { removeTraffic: true });
      const [traffic, del] = fake.writes();
      assert.deepEqual((traffic?.body as { properties: { traffic: unknown } }).properties.traffic, { blue: 100 });
      assert.equal(del?.method, 'DELETE');
    });
  });

  describe('secrets and polling', () => {
    it('a refused write or a failed operation quotes the service without the secrets it echoes', async () => {
      const secret = 'l0-echoed-endpoint-key-5f1e';
      registerSecret(secret);
      const refusing: DeployWorkspace = {
        workspaceArmPath: WS,
        workspace: { location: 'westeurope' },
        armRequest: async (method: string, path: string) => {
          if (method === 'GET') return { status: 404, headers: createHttpHeaders(), body: undefined };
          throw new AzureRequestError(method, path, 400, 'BadRequest', `The key ${secret} is not accepted.`);
        },
      } as DeployWorkspace;
      await assert.rejects(createOrUpdateEndpoint(refusing, endpointSpec(), { signal }), (e: unknown) => {
        assert.ok(e instanceof TaskError);
        assert.match(e.message, /refused the request \(PUT, HTTP 400 BadRequest\): The key \*\*\* is not accepted\./);
        assert.ok(!e.message.includes(secret));
        return true;
      });
      const failing: DeployWorkspace = {
        ...refusing,
        armRequest: async (method: string, path: string) => {
          if (method === 'GET' && path.startsWith('https://')) return { status: 200, headers: createHttpHeaders(), body: { status: 'Failed', error: { code: 'Bad', message: `token ${secret} expired` } } };
          if (method === 'GET') return { status: 404, headers: createHttpHeaders(), body: undefined };
          return { status: 201, headers: createHttpHeaders({ 'azure-asyncoperation': 'https://management.azure.com/operations/1?api-version=x' }), body: {} };
        },
      } as DeployWorkspace;
      await assert.rejects(createOrUpdateEndpoint(failing, endpointSpec(), { signal }), (e: unknown) => {
        assert.ok(e instanceof TaskError);
        assert.equal(e.message, "Online endpoint 'qa-endpoint': the creation ended Failed (Bad): token *** expired.");
        return true;
      });
    });

    it('polls at most every minute, whatever Retry-After asks', () => {
      assert.equal(pollDelay(0, { headers: createHttpHeaders({ 'retry-after': '3600' }) }), MAX_POLL_DELAY_MS);
      assert.equal(pollDelay(0, { headers: createHttpHeaders({ 'retry-after': '2' }) }), 2000);
      assert.equal(pollDelay(99), 5000);
    });
  });

  describe('pure helpers', () => {
    it('rebalanceTraffic gives the rest to the others in proportion, whole numbers summing to 100', () => {
      assert.deepEqual(rebalanceTraffic({}, 'blue', 100), { blue: 100 });
      assert.deepEqual(rebalanceTraffic({ blue: 100 }, 'green', 10), { blue: 90, green: 10 });
      assert.deepEqual(rebalanceTraffic({ blue: 50, green: 50 }, 'red', 33), { blue: 34, green: 33, red: 33 });
      assert.deepEqual(rebalanceTraffic({ blue: 90, green: 10 }, 'green', 0), { blue: 100, green: 0 });
      assert.deepEqual(rebalanceTraffic({ blue: 100, old: 0 }, 'blue', 100), { blue: 100, old: 0 });
      assert.throws(() => rebalanceTraffic({ blue: 0 }, 'green', 30), /no other deployment of the endpoint takes any/);
    });

    it('mergeInto / changedPaths / withoutReadOnly', () => {
      const base = withoutReadOnly(EXISTING_ENDPOINT);
      assert.equal(base['id'], undefined);
      assert.equal((base['properties'] as Record<string, unknown>)['scoringUri'], undefined);
      assert.deepEqual(base['identity'], { type: 'SystemAssigned' });
      const ours = { properties: { traffic: { green: 100 }, description: 'old' }, tags: { owner: 'ops' } };
      assert.deepEqual(changedPaths(base, ours, ['properties.traffic']), ['properties.traffic']);
      assert.deepEqual((mergeInto(base, ours, ['properties.traffic'])['properties'] as Record<string, unknown>)['traffic'], { green: 100 });
      assert.deepEqual(changedPaths(base, { tags: { owner: 'OPS' } }, []), ['tags.owner'], 'tag values are compared exactly');
    });
  });
});
