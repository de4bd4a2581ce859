/**
 * An offline stand-in for the workspace the DeployQA task gets from shared's openWorkspace: an in-memory ARM store
 * (assets, computes, online endpoints and deployments; writes succeed at once, or a deployment fails through its
 * Azure-AsyncOperation as the service's do), a blob datastore, and a scoring client. Every ARM call, upload and
 * scoring request is written to a JSON file, so the mocha side can assert what the task did on the "Azure side".
 */
import { createHttpHeaders, type HttpClient, type PipelineRequest, type PipelineResponse } from '@azure/core-rest-pipeline';

import { type DeployQAScenario, FAKE_PRIMARY_KEY, type FakeResource, WORKSPACE_ARM_PATH } from './scenario';
import { fakeDefaultDatastore, fakeWorkspaceClient, type MakeArmError } from '../../support/fakeWorkspaceClient';
import { JsonRecorder } from '../../support/jsonRecorder';

export interface ArmCall {
  readonly method: string;
  /** Path relative to the workspace (or `operations/<n>`), without query. */
  readonly path: string;
  readonly apiVersion: string | null;
  readonly status: number;
  readonly body?: unknown;
}

export interface FakeRecord {
  calls: ArmCall[];
  uploads: string[];
  scoring: Array<{ url: string; deployment: string | undefined; authorization: string | undefined }>;
  /** Every resource at the end, by lower-cased path (seed the next run with it). */
  resources: Record<string, FakeResource>;
}

export class Recorder extends JsonRecorder<FakeRecord> {
  constructor(file: string) {
    super(file, { calls: [], uploads: [], scoring: [], resources: {} });
  }
}

export function createFakeWorkspace(scenario: DeployQAScenario, connection: unknown, recorder: Recorder, makeError: MakeArmError) {
  const store = new Map<string, FakeResource>(Object.entries(scenario.resources ?? {}).map(([key, value]) => [key.toLowerCase(), structuredClone(value)]));
  const failedOperation = 'operations/failed';
  const failedEndpointOperation = 'operations/endpoint-failed';
  const saveResources = (): void => {
    recorder.record.resources = Object.fromEntries(store);
    recorder.save();
  };
  saveResources();

  async function armRequest(method: string, target: string, body?: unknown, options: { allowedStatuses?: readonly number[]; apiVersion?: string } = {}) {
    const url = new URL(target, 'https://management.azure.com');
    const full = decodeURIComponent(url.pathname);
    const path = full.toLowerCase().startsWith(WORKSPACE_ARM_PATH.toLowerCase()) ? full.slice(WORKSPACE_ARM_PATH.length + 1) : full.replace(/^\/+/, '');
    const apiVersion = options.apiVersion ?? url.searchParams.get('api-version');
    const answer = (status: number, answerBody?: unknown, headers: Record<string, string> = {}) => {
      recorder.record.calls.push({ method, path, apiVersion, status, ...(body !== undefined ? { body } : {}) });
      recorder.save();
      if (status >= 400 && !(options.allowedStatuses ?? []).includes(status)) throw makeError(method, `https://management.azure.com${full}`, status, status === 404 ? 'ResourceNotFound' : 'BadRequest', `The fake answered ${status} for '${path}'.`);
      return { status, headers: createHttpHeaders(headers), body: answerBody };
    };
    const key = path.toLowerCase();
    const withId = (k: string, resource: FakeResource) => ({ id: `${WORKSPACE_ARM_PATH}/${k}`, name: k.split('/').pop(), ...resource });

    if (path === failedOperation) return answer(200, { status: 'Failed', error: scenario.deploymentFailure });
    if (path === failedEndpointOperation) return answer(200, { status: 'Failed', error: scenario.endpointFailure });
    if (method === 'POST' && key.endsWith('/listkeys')) return answer(200, { primaryKey: FAKE_PRIMARY_KEY, secondaryKey: `${FAKE_PRIMARY_KEY}-2` });
    if (method === 'POST' && key.endsWith('/getlogs')) {
      const inference = (body as { containerType?: string }).containerType === 'InferenceServer';
      return answer(200, { content: inference ? (scenario.failureLog ?? '') : 'Model download completed.\n' });
    }
    if (method === 'GET') {
      const list = /^(onlineendpoints\/[^/]+\/deployments|computes)$/.exec(key);
      if (list) return answer(200, { value: [...store].filter(([k]) => k.startsWith(`${list[1]}/`) && k.split('/').length === list[1]!.split('/').length + 1).map(([k, v]) => withId(k, v)) });
      const versions = /^(models|environments|codes)\/([^/]+)\/versions$/.exec(key);
      if (versions) return answer(200, { value: [...store].filter(([k]) => k.startsWith(`${key}/`)).map(([k, v]) => withId(k, v)) });
      const container = /^(models|environments|codes)\/([^/]+)$/.exec(key);
      if (container) {
        const found = [...store.keys()].filter((k) => k.startsWith(`${key}/versions/`)).map((k) => k.split('/').pop()!);
        return found.length > 0 ? answer(200, withId(key, { properties: { latestVersion: found.sort().pop() } })) : answer(404);
      }
      const resource = store.get(key);
      return resource ? answer(200, withId(key, resource)) : answer(404);
    }
    if (method === 'PUT') {
      const created = !store.has(key);
      const isDeployment = /^onlineendpoints\/[^/]+\/deployments\/[^/]+$/.test(key);
      const isEndpoint = /^onlineendpoints\/[^/]+$/.test(key);
      const fails = (isDeployment && scenario.deploymentFailure !== undefined) || (isEndpoint && scenario.endpointFailure !== undefined);
      const resource = structuredClone(body) as FakeResource & { properties: Record<string, unknown> };
      if (/^onlineendpoints\/[^/]+$/.test(key)) {
        const name = key.split('/')[1];
        Object.assign(resource.properties, { scoringUri: `https://${name}.westeurope.inference.ml.azure.com/score`, swaggerUri: `https://${name}.westeurope.inference.ml.azure.com/swagger.json` });
      }
      if (key.startsWith('onlineendpoints/')) resource.properties['provisioningState'] = fails ? 'Failed' : 'Succeeded';
      store.set(key, resource);
      saveResources();
      const operation = isEndpoint ? failedEndpointOperation : failedOperation;
      return answer(created ? 201 : 200, withId(key, resource), fails ? { 'azure-asyncoperation': `https://management.azure.com/${operation}?api-version=2022-10-01` } : {});
    }
    if (method === 'DELETE') {
      for (const k of [...store.keys()]) if (k === key || k.startsWith(`${key}/`)) store.delete(k);
      saveResources();
      return answer(204);
    }
    return answer(405);
  }

  const blobs = new Set<string>();
  const datastore = fakeDefaultDatastore(blobs, (name) => {
    recorder.record.uploads.push(name);
    recorder.save();
  });

  const answers = [...(scenario.scoringAnswers ?? [{ status: 200, body: '{"predictions": [210.22, 66.37, 181.2]}' }])];
  const scoringClient: HttpClient = {
    async sendRequest(request: PipelineRequest): Promise<PipelineResponse> {
      const deployment = request.headers.get('azureml-model-deployment');
      recorder.record.scoring.push({ url: request.url, deployment, authorization: request.headers.get('authorization') });
      recorder.save();
      const next = answers.length > 1 ? answers.shift()! : answers[0]!;
      return { request, status: next.status, headers: createHttpHeaders(deployment ? { 'azureml-model-deployment': deployment } : {}), bodyAsText: next.body };
    },
  };

  return {
    scoringClient,
    workspace: {
      arm: {},
      credential: { getToken: async () => ({ token: 'fake-aad-token', expiresOnTimestamp: Date.now() + 3_600_000 }) },
      httpOptions: {},
      ...fakeWorkspaceClient(connection, armRequest),
      defaultDatastore: async () => datastore,
    },
  };
}
