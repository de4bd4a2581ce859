import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import type { Emulator } from '@azureml-mlops/emulator';
import { repositoryPath } from '../../support/repository';
import { unique, writeFolder, type AzureMlTestClient, type HttpResult, type Json } from './support';
import { ProxyTunnelAgent } from '../../support/proxyTunnelAgent';

/** mirrorTraffic is not in the 2022-10-01 contract: requests that set or read it use the first GA version that has it. */
export const MIRROR_API = 'api-version=2023-04-01';
export const SAMPLE_REQUEST = fs.readFileSync(repositoryPath('samples/diabetes/score/sample-request.json'), 'utf8');
export const DIABETES_SCORE_PY = fs.readFileSync(repositoryPath('samples/diabetes/score/score.py'), 'utf8');

export interface ScoringAnswer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly text: string;
  json<T = Json>(): T;
}

/**
 * A client of online endpoints as a task behind the agent proxy is one: HTTPS to the production-style scoring URI,
 * tunnelled (CONNECT) through the emulator's proxy, verifying the endpoint's certificate against the emulator's CA.
 */
export class ScoringClient {
  private readonly agent: ProxyTunnelAgent;

  constructor(emulator: Pick<Emulator, 'proxyUrl' | 'caCertPath'>) {
    this.agent = new ProxyTunnelAgent(new URL(emulator.proxyUrl), fs.readFileSync(emulator.caCertPath), { keepAlive: true, maxSockets: 16 });
  }

  request(method: string, url: string, options: { bearer?: string; body?: string; headers?: Record<string, string> } = {}): Promise<ScoringAnswer> {
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    if (options.bearer !== undefined) headers['authorization'] = `Bearer ${options.bearer}`;
    if (options.body !== undefined) {
      headers['content-type'] ??= 'application/json';
      headers['content-length'] = String(Buffer.byteLength(options.body));
    }
    return new Promise((resolve, reject) => {
      const req = https.request(url, { method, headers, agent: this.agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: <T>() => JSON.parse(text) as T });
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(options.body);
    });
  }

  score(scoringUri: string, bearer: string | undefined, body: string = SAMPLE_REQUEST, headers: Record<string, string> = {}): Promise<ScoringAnswer> {
    return this.request('POST', scoringUri, { ...(bearer === undefined ? {} : { bearer }), body, headers });
  }

  close(): void {
    this.agent.destroy();
  }
}


/** What a deployment is made of, registered in the workspace. */
export interface ServingAssets {
  readonly environmentId: string;
  readonly modelId: string;
  readonly modelName: string;
  /** model.json as the training job wrote it. */
  readonly model: DiabetesModel;
}

export interface DiabetesModel {
  readonly features: string[];
  readonly means: number[];
  readonly stds: number[];
  readonly weights: number[];
  readonly intercept: number;
}

const assetsByEmulator = new WeakMap<Emulator, Promise<ServingAssets>>();

/**
 * The diabetes model as a user gets it: samples/diabetes/src/train.py run as a command job of the workspace, its
 * `model` output registered as a model version; and the scoring environment. Once per emulator.
 */
export function diabetesAssets(client: AzureMlTestClient): Promise<ServingAssets> {
  let assets = assetsByEmulator.get(client.emulator);
  if (!assets) {
    assets = trainAndRegister(client);
    assetsByEmulator.set(client.emulator, assets);
  }
  return assets;
}

async function trainAndRegister(client: AzureMlTestClient): Promise<ServingAssets> {
  const env = await client.arm('PUT', `environments/${unique('diabetes-scoring')}/versions/1`, {
    properties: { image: 'mcr.microsoft.com/azureml/minimal-ubuntu22.04-py39-cpu-inference:latest' },
  });
  assert.equal(env.status, 201, env.text);
  const codeUri = await client.uploadFolder(repositoryPath('samples/diabetes/src'), `${unique('LocalUpload/train')}/src`);
  const code = await client.arm('PUT', `codes/${unique('diabetes-train')}/versions/1`, { properties: { codeUri } });
  assert.equal(code.status, 201, code.text);
  await client.uploadText('data/serving/diabetes.csv', fs.readFileSync(repositoryPath('samples/diabetes/data/diabetes.csv'), 'utf8'));
  const job = unique('diabetes-train');
  const submitted = await client.arm('PUT', `jobs/${job}`, {
    properties: {
      jobType: 'Command',
      command: 'python3 train.py --data ${{inputs.diabetes}} --model-dir ${{outputs.model}}',
      codeId: code.body['id'],
      environmentId: env.body['id'],
      computeId: 'cpu-cluster',
      experimentName: 'serving-tests',
      inputs: { diabetes: { jobInputType: 'uri_file', uri: 'azureml://datastores/workspaceblobstore/paths/data/serving/diabetes.csv' } },
      outputs: { model: { jobOutputType: 'uri_folder', mode: 'ReadWriteMount' } },
    },
  });
  assert.equal(submitted.status, 201, submitted.text);
  const { job: done } = await client.waitForJob(job);
  assert.equal(done['properties']['status'], 'Completed', JSON.stringify(done['properties']['error'] ?? null));
  const modelName = unique('diabetes');
  const registered = await client.arm('PUT', `models/${modelName}/versions/1`, { properties: { modelType: 'custom_model', modelUri: `azureml://jobs/${job}/outputs/model/paths/` } });
  assert.equal(registered.status, 201, registered.text);
  const model = JSON.parse((await client.readBlob(`azureml/${job}/model/model.json`))!) as DiabetesModel;
  return { environmentId: String(env.body['id']), modelId: String(registered.body['id']), modelName, model };
}

/**
 * The same model in another emulator, uploaded rather than trained again (model.json as train.py writes it, in a
 * `model` folder as the job output holds it).
 */
export async function uploadedDiabetesAssets(client: AzureMlTestClient, model: DiabetesModel): Promise<ServingAssets> {
  const env = await client.arm('PUT', `environments/${unique('diabetes-scoring')}/versions/1`, {
    properties: { image: 'mcr.microsoft.com/azureml/minimal-ubuntu22.04-py39-cpu-inference:latest' },
  });
  assert.equal(env.status, 201, env.text);
  const folder = unique('models/diabetes');
  await client.uploadText(`${folder}/model/model.json`, JSON.stringify(model, null, 2));
  const modelName = unique('diabetes');
  const registered = await client.arm('PUT', `models/${modelName}/versions/1`, { properties: { modelType: 'custom_model', modelUri: `azureml://datastores/workspaceblobstore/paths/${folder}/model/` } });
  assert.equal(registered.status, 201, registered.text);
  return { environmentId: String(env.body['id']), modelId: String(registered.body['id']), modelName, model };
}

/** A code version holding `files` in a folder named `folder` (as `az ml` uploads a local folder). */
export async function registerCode(client: AzureMlTestClient, files: Record<string, string>, folder = 'onlinescoring'): Promise<string> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'serving-code-'));
  try {
    const codeUri = await client.uploadFolder(writeFolder(tmp, files), `${unique('LocalUpload/score')}/${folder}`);
    const code = await client.arm('PUT', `codes/${unique('score')}/versions/1`, { properties: { codeUri } });
    assert.equal(code.status, 201, code.text);
    return String(code.body['id']);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

export function endpointBody(properties: Json = {}): Json {
  return { location: 'westeurope', properties: { authMode: 'Key', ...properties } };
}

export function deploymentBody(assets: ServingAssets, codeId: string, properties: Json = {}, capacity = 1): Json {
  return {
    location: 'westeurope',
    sku: { name: 'Default', capacity },
    properties: {
      endpointComputeType: 'Managed',
      model: assets.modelId,
      environmentId: assets.environmentId,
      codeConfiguration: { codeId, scoringScript: 'score.py' },
      instanceType: 'Standard_DS3_v2',
      ...properties,
    },
  };
}

/** Follows an operation's Azure-AsyncOperation monitor until it ends; returns its final status body. */
export async function operationResult(client: AzureMlTestClient, started: HttpResult): Promise<Json> {
  const url = started.headers['azure-asyncoperation'];
  assert.equal(typeof url, 'string', `an Azure-AsyncOperation header (${started.status} ${started.text})`);
  for (let i = 0; i < 1000; i++) {
    const status = await client.request('GET', String(url));
    assert.equal(status.status, 200, status.text);
    if (status.body['status'] !== 'InProgress') return status.body;
    await new Promise((r) => setTimeout(r, 15));
  }
  throw new Error(`operation ${String(url)} did not end`);
}

/** A PUT/PATCH/DELETE whose operation must succeed. */
export async function succeeds(client: AzureMlTestClient, method: string, relative: string, body?: unknown): Promise<HttpResult> {
  const res = await client.arm(method, relative, body);
  assert.ok(res.status >= 200 && res.status < 300, `${method} ${relative}: ${res.status} ${res.text}`);
  const done = await operationResult(client, res);
  assert.equal(done['status'], 'Succeeded', `${method} ${relative}: ${JSON.stringify(done)}`);
  return res;
}

/** The endpoint's scoring URI and primary key, as a task reads them (GET, listKeys). */
export async function scoringTarget(client: AzureMlTestClient, endpoint: string): Promise<{ scoringUri: string; swaggerUri: string; primaryKey: string; secondaryKey: string }> {
  const got = await client.arm('GET', `onlineEndpoints/${endpoint}`);
  const keys = await client.arm('POST', `onlineEndpoints/${endpoint}/listKeys`);
  return {
    scoringUri: String(got.body['properties']['scoringUri']),
    swaggerUri: String(got.body['properties']['swaggerUri']),
    primaryKey: String(keys.body['primaryKey']),
    secondaryKey: String(keys.body['secondaryKey']),
  };
}

/** The predictions score.py must give for the rows of a request: the ridge regression of model.json. */
export function expectedPredictions(model: DiabetesModel, request: string): number[] {
  const rows = (JSON.parse(request) as { data: number[][] }).data;
  return rows.map((row) => {
    const value = model.intercept + row.reduce((sum, v, i) => sum + (model.weights[i]! * (v - model.means[i]!)) / model.stds[i]!, 0);
    return Math.round(value * 100) / 100;
  });
}

export async function logsOf(client: AzureMlTestClient, endpoint: string, deployment: string, containerType = 'InferenceServer'): Promise<string> {
  const res = await client.arm('POST', `onlineEndpoints/${endpoint}/deployments/${deployment}/getLogs`, { containerType });
  assert.equal(res.status, 200, res.text);
  return String(res.body['content']);
}

/** Whether a process is alive and not a zombie (as in ./support). */
export { processExists } from './support';
