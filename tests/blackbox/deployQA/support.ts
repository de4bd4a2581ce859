/**
 * Runs the BUNDLED AzureMLDeployQA task (build/extension/tasks/AzureMLDeployQA, made by `npm run build`) the way the
 * agent does (emulator/src/devops/agent.ts) against an emulator, and prepares what it deploys: a model version
 * registered from a real training job of the diabetes sample (the bundled Train task), and a scoring environment
 * registered with a plain ARM PUT (as `az ml environment create` would; AzureMLBuildImage@1 is not needed for that).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

import type { Emulator } from '@azureml-mlops/emulator';
import { type AgentTaskResult, runTask } from '@azureml-mlops/emulator/dist/devops/agent';

import { armAccessToken, emulatorRequest, workspacePath } from '../../support/emulatorHttp';
import { logOf, REPOSITORY_ROOT, repositoryPath, runTrainTask, SAMPLE_JOB, summariesOf } from '../support/trainTask';

export { logOf, REPOSITORY_ROOT, STACK_TRACE } from '../support/trainTask';

export const DEPLOY_QA_TASK_DIR = repositoryPath('build/extension/tasks/AzureMLDeployQA');
export const SAMPLE_ENDPOINT_YAML = 'samples/diabetes/deploy/endpoint.yml';
export const SAMPLE_DEPLOYMENT_YAML = 'samples/diabetes/deploy/deployment.yml';
export const SAMPLE_REQUEST = 'samples/diabetes/score/sample-request.json';

export interface DeployQARun {
  readonly emulator: Emulator;
  /** Task inputs; an input set to '' is left out. */
  readonly inputs: Readonly<Record<string, string>>;
  readonly variables?: Readonly<Record<string, string>>;
  /** Build.SourcesDirectory (relative file inputs start there); default: the repository root. */
  readonly sourcesDirectory?: string;
  readonly connectionId?: string;
}

export interface DeployQAResult extends AgentTaskResult {
  readonly summaries: readonly string[];
}

export async function runDeployQATask(run: DeployQARun): Promise<DeployQAResult> {
  const connectionId = run.connectionId ?? 'deploy-qa-conn';
  const inputs: Record<string, string> = {
    azureSubscription: connectionId,
    resourceGroup: run.emulator.resourceGroup,
    workspace: run.emulator.workspaceName,
    // Seconds, not the default 10, between smoke test attempts: the emulator's deployments are ready at once.
    smokeTestRetryDelaySeconds: '1',
    ...run.inputs,
  };
  for (const [name, value] of Object.entries(inputs)) if (value === '') delete inputs[name];
  const outcome = await runTask({
    taskDir: DEPLOY_QA_TASK_DIR,
    inputs,
    variables: run.variables,
    env: run.emulator.connectionEnv(connectionId, 'servicePrincipalSecret'),
    sourcesDirectory: run.sourcesDirectory ?? REPOSITORY_ROOT,
  });
  try {
    const summaries = summariesOf(outcome);
    return { ...outcome, summaries };
  } finally {
    fs.rmSync(outcome.workFolder, { recursive: true, force: true });
  }
}

/** A name no other test uses (the emulator is shared by the whole mocha run), valid for endpoints (3-32 chars). */
export function uniqueName(stem: string): string {
  const suffix = `${Date.now().toString(36).slice(-5)}${Math.floor(Math.random() * 1296).toString(36).padStart(2, '0')}`;
  return `${stem}-${suffix}`.slice(0, 32);
}

/** An ARM request of the test itself (not of the task), with a token of the secret service principal. */
export async function arm(emulator: Emulator, method: string, armPath: string, body?: unknown, apiVersion = '2022-10-01'): Promise<{ status: number; json: () => Record<string, unknown>; text: string }> {
  const answer = await emulatorRequest(emulator, method, `/${workspacePath(emulator)}/${armPath}?api-version=${apiVersion}`, {
    bearer: await armAccessToken(emulator),
    ...(body !== undefined ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {}),
  });
  return { status: answer.status, json: () => answer.json(), text: answer.text };
}

export interface DeployableModel {
  readonly jobName: string;
  readonly modelName: string;
  readonly modelVersion: string;
  /** `azureml:<name>:<version>` */
  readonly modelReference: string;
  readonly environmentName: string;
  /** `azureml:<name>:<version>` */
  readonly environmentReference: string;
}

const prepared = new WeakMap<Emulator, Promise<DeployableModel>>();

/** prepareDeployableModel once per emulator (the black-box files of this folder share it). */
export function sharedDeployableModel(emulator: Emulator): Promise<DeployableModel> {
  let model = prepared.get(emulator);
  if (!model) {
    model = prepareDeployableModel(emulator);
    prepared.set(emulator, model);
  }
  return model;
}

/**
 * Trains the diabetes sample (bundled Train task), registers its `model` output as a model version and the scoring
 * environment as an environment version, both with plain ARM PUTs.
 */
export async function prepareDeployableModel(emulator: Emulator, stem = 'diabetes-qa'): Promise<DeployableModel> {
  const trained = await runTrainTask({ emulator, inputs: { jobFile: SAMPLE_JOB } });
  assert.equal(trained.result, 'Succeeded', logOf(trained));
  const jobName = trained.outputs['JobName']!;
  const modelName = uniqueName(`${stem}-model`);
  const model = await arm(emulator, 'PUT', `models/${modelName}/versions/1`, {
    properties: { modelType: 'custom_model', modelUri: `azureml://jobs/${jobName}/outputs/model/paths/`, jobName },
  });
  assert.ok(model.status === 200 || model.status === 201, model.text);
  const environmentName = uniqueName(`${stem}-env`);
  const environment = await registerScoringEnvironment(emulator, environmentName, '1');
  assert.ok(environment.status === 200 || environment.status === 201, environment.text);
  return {
    jobName,
    modelName,
    modelVersion: '1',
    modelReference: `azureml:${modelName}:1`,
    environmentName,
    environmentReference: `azureml:${environmentName}:1`,
  };
}

export function registerScoringEnvironment(emulator: Emulator, name: string, version: string) {
  const condaFile = fs.readFileSync(path.join(REPOSITORY_ROOT, 'samples/diabetes/environment/score-conda.yml'), 'utf8');
  return arm(emulator, 'PUT', `environments/${name}/versions/${version}`, {
    properties: { image: 'mcr.microsoft.com/azureml/minimal-ubuntu22.04-py311-cpu-inference:latest', condaFile, osType: 'Linux' },
  });
}

/** The ARM exchanges the emulator recorded since `from` (an index into `emulator.traffic`), as `METHOD path`. */
export function armCallsSince(emulator: Emulator, from: number, filter: (path: string) => boolean = () => true): string[] {
  return emulator.traffic
    .slice(from)
    .filter((exchange) => exchange.kind === 'arm')
    .map((exchange) => `${exchange.method} ${new URL(exchange.url).pathname}`)
    .filter((line) => filter(line));
}

/** Writes that touch online endpoints (PUT, PATCH, DELETE; POST actions are reads such as listKeys). */
export function endpointWrites(calls: readonly string[]): string[] {
  return calls.filter((call) => /\/onlineEndpoints\//i.test(call) && /^(PUT|PATCH|DELETE) /.test(call));
}

/** Waits until the endpoint and its deployments have no operation running (the test's own direct changes). */
export async function waitUntilIdle(emulator: Emulator, endpointName: string): Promise<void> {
  const busy = (state: unknown): boolean => /^(Creating|Updating|Deleting|Scaling)$/.test(String(state));
  for (let i = 0; i < 600; i++) {
    const endpoint = emulator.inspect.onlineEndpoint(endpointName) as { properties?: { provisioningState?: string } } | undefined;
    const deployments = emulator.inspect.onlineDeployments(endpointName) as Array<{ properties?: { provisioningState?: string } }>;
    if (!busy(endpoint?.properties?.provisioningState) && !deployments.some((d) => busy(d.properties?.provisioningState))) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the endpoint ${endpointName} stayed busy`);
}

/** A resource as GET answers it, without what the service sets, ready to be PUT back (as a user of az ml would). */
export function asPutBody(resource: Record<string, unknown>): Record<string, unknown> {
  const { id: _id, name: _name, type: _type, systemData: _systemData, ...rest } = resource;
  const properties = { ...(rest['properties'] as Record<string, unknown>) };
  for (const key of ['provisioningState', 'scoringUri', 'swaggerUri']) delete properties[key];
  const identity = rest['identity'] as Record<string, unknown> | undefined;
  return { ...rest, properties, ...(identity ? { identity: { type: identity['type'] } } : {}) };
}
