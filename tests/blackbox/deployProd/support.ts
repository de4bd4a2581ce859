/**
 * Runs the BUNDLED AzureMLDeployProd task (build/extension/tasks/AzureMLDeployProd, made by `npm run build`) the way
 * the agent does (emulator/src/devops/agent.ts) against an emulator, and prepares what it rolls out: two versions of
 * one model, each registered from a real training run of the diabetes sample (the bundled Train task, alpha 0.5 and
 * 0.05), and the scoring environment. Also: a bounded loop of scoring requests through the emulator's proxy (HTTPS
 * CONNECT tunnel, the emulator's CA trusted), as clients of a production endpoint send them during a rollout.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import type { Emulator } from '@azureml-mlops/emulator';
import { type AgentTaskResult, type RunningTask, startTask } from '@azureml-mlops/emulator/dist/devops/agent';

import { ScoringClient } from '../../emulator/azureml/servingFixture';
import { arm, registerScoringEnvironment, uniqueName } from '../deployQA/support';
import { logOf, REPOSITORY_ROOT, repositoryPath, runTrainTask, SAMPLE_JOB, summariesOf } from '../support/trainTask';

export { arm, uniqueName } from '../deployQA/support';
export { assertOneClearError, logOf, REPOSITORY_ROOT, STACK_TRACE } from '../support/trainTask';

export const DEPLOY_PROD_TASK_DIR = repositoryPath('build/extension/tasks/AzureMLDeployProd');
export const SAMPLE_ENDPOINT_YAML = 'samples/diabetes/deploy/endpoint.yml';
export const SAMPLE_DEPLOYMENT_YAML = 'samples/diabetes/deploy/deployment.yml';
export const SAMPLE_REQUEST = 'samples/diabetes/score/sample-request.json';
export const SAMPLE_SCORE_FOLDER = 'samples/diabetes/score';

export interface ProdRun {
  readonly emulator: Emulator;
  /** Task inputs over the defaults below; an input set to '' is left out. */
  readonly inputs: Readonly<Record<string, string>>;
  readonly variables?: Readonly<Record<string, string>>;
  readonly onLine?: (line: string) => void;
}

export interface ProdResult extends AgentTaskResult {
  readonly summaries: readonly string[];
}

/**
 * The sample's YAML files and request, with waits shortened for the emulator (its deployments are ready at once):
 * no time at each step, 1 s between smoke test attempts.
 */
function inputsOf(run: ProdRun, connectionId: string): Record<string, string> {
  const inputs: Record<string, string> = {
    azureSubscription: connectionId,
    resourceGroup: run.emulator.resourceGroup,
    workspace: run.emulator.workspaceName,
    endpointFile: SAMPLE_ENDPOINT_YAML,
    deploymentFile: SAMPLE_DEPLOYMENT_YAML,
    smokeTestRequestFile: SAMPLE_REQUEST,
    smokeTestAssertions: '$.predictions length 3\n$.predictions[*] between 0 and 400',
    smokeTestRetryDelaySeconds: '1',
    stepWaitSeconds: '0',
    mirrorDurationSeconds: '2',
    ...run.inputs,
  };
  for (const [name, value] of Object.entries(inputs)) if (value === '') delete inputs[name];
  return inputs;
}

export interface RunningProd extends Omit<RunningTask, 'result'> {
  readonly result: Promise<ProdResult>;
}

export function startDeployProd(run: ProdRun): RunningProd {
  const connectionId = 'deploy-prod-conn';
  const running = startTask({
    taskDir: DEPLOY_PROD_TASK_DIR,
    inputs: inputsOf(run, connectionId),
    variables: run.variables,
    env: run.emulator.connectionEnv(connectionId, 'servicePrincipalSecret'),
    sourcesDirectory: REPOSITORY_ROOT,
    onLine: run.onLine,
  });
  const result = running.result.then((outcome) => {
    const summaries = summariesOf(outcome);
    fs.rmSync(outcome.workFolder, { recursive: true, force: true });
    return { ...outcome, summaries };
  });
  return { pid: running.pid, cancel: () => running.cancel(), result };
}

export function runDeployProd(run: ProdRun): Promise<ProdResult> {
  return startDeployProd(run).result;
}

export interface ProdModels {
  readonly modelName: string;
  /** `azureml:<model>:1` and `:2`: the diabetes model trained with alpha 0.5, then 0.05. */
  readonly v1: string;
  readonly v2: string;
  readonly environment: string;
}

const prepared = new WeakMap<Emulator, Promise<ProdModels>>();

/** Two model versions and the environment, once per emulator (the files of this folder share them). */
export function prodModels(emulator: Emulator): Promise<ProdModels> {
  let models = prepared.get(emulator);
  if (!models) {
    models = prepareModels(emulator);
    prepared.set(emulator, models);
  }
  return models;
}

async function prepareModels(emulator: Emulator): Promise<ProdModels> {
  const [first, second] = await Promise.all([
    runTrainTask({ emulator, inputs: { jobFile: SAMPLE_JOB } }),
    runTrainTask({ emulator, inputs: { jobFile: SAMPLE_JOB, overrides: 'inputs.alpha=0.05' } }),
  ]);
  assert.equal(first.result, 'Succeeded', logOf(first));
  assert.equal(second.result, 'Succeeded', logOf(second));
  const modelName = uniqueName('diabetes-prod');
  for (const [version, trained] of [['1', first], ['2', second]] as const) {
    const jobName = trained.outputs['JobName']!;
    const put = await arm(emulator, 'PUT', `models/${modelName}/versions/${version}`, {
      properties: { modelType: 'custom_model', modelUri: `azureml://jobs/${jobName}/outputs/model/paths/`, jobName },
    });
    assert.ok(put.status === 200 || put.status === 201, put.text);
  }
  const environmentName = uniqueName('diabetes-prod-env');
  const environment = await registerScoringEnvironment(emulator, environmentName, '1');
  assert.ok(environment.status === 200 || environment.status === 201, environment.text);
  return { modelName, v1: `azureml:${modelName}:1`, v2: `azureml:${modelName}:2`, environment: `azureml:${environmentName}:1` };
}

/**
 * A copy of the sample's scoring code that fails: its run() raises ('always', or once the marker file exists: the test
 * creates it to make a healthy deployment start failing at a given step), or its init() raises ('init': the
 * deployment never becomes ready).
 */
export function scoringCodeThatFails(failWhen: { readonly marker: string } | 'always' | 'init'): string {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'prod-score-'));
  const original = fs.readFileSync(path.join(REPOSITORY_ROOT, SAMPLE_SCORE_FOLDER, 'score.py'), 'utf8');
  let patched: string;
  if (failWhen === 'init') {
    patched = original.replace('def init():', 'def init():\n    raise RuntimeError("the new model cannot load")\n\n\ndef _init():');
  } else {
    const condition = failWhen === 'always' ? 'True' : `os.path.exists(${JSON.stringify(failWhen.marker)})`;
    patched = original.replace(
      'def run(raw_data):',
      `def run(raw_data):\n    if ${condition}:\n        raise RuntimeError("the new scoring code is broken")\n    return _run(raw_data)\n\n\ndef _run(raw_data):`,
    );
  }
  assert.notEqual(patched, original, 'score.py has the function to wrap');
  fs.writeFileSync(path.join(folder, 'score.py'), patched);
  return folder;
}

export interface LoopOutcome {
  readonly sent: number;
  readonly succeeded: number;
  /** `HTTP 500: ...` or the connection error, for each failed request (at most 20 kept). */
  readonly failures: readonly string[];
  readonly failed: number;
  /** Requests answered per deployment (azureml-model-deployment response header). */
  readonly servedBy: Readonly<Record<string, number>>;
  /** Failed requests per deployment that answered them ('?' when none did: a connection error, a 404 from the front end). */
  readonly failedBy: Readonly<Record<string, number>>;
}

/**
 * A bounded loop of scoring requests on the endpoint's scoring URI, through the emulator's proxy, as production
 * clients send them: `concurrency` requests at a time, until stop() (or `maxRequests`).
 */
export class ScoringLoop {
  private readonly client: ScoringClient;
  private stopped = false;
  private readonly workers: Array<Promise<void>> = [];
  private sent = 0;
  private succeeded = 0;
  private failed = 0;
  private readonly failures: string[] = [];
  private readonly servedBy: Record<string, number> = {};
  private readonly failedBy: Record<string, number> = {};

  private constructor(
    emulator: Emulator,
    private readonly scoringUri: string,
    private readonly key: string,
    private readonly body: string,
    private readonly maxRequests: number,
  ) {
    this.client = new ScoringClient(emulator);
  }

  static async start(emulator: Emulator, endpointName: string, options: { concurrency?: number; maxRequests?: number } = {}): Promise<ScoringLoop> {
    const endpoint = await arm(emulator, 'GET', `onlineEndpoints/${endpointName}`);
    assert.equal(endpoint.status, 200, endpoint.text);
    const keys = await arm(emulator, 'POST', `onlineEndpoints/${endpointName}/listKeys`);
    assert.equal(keys.status, 200, keys.text);
    const body = fs.readFileSync(path.join(REPOSITORY_ROOT, SAMPLE_REQUEST), 'utf8');
    const loop = new ScoringLoop(emulator, String((endpoint.json()['properties'] as Record<string, unknown>)['scoringUri']), String(keys.json()['primaryKey']), body, options.maxRequests ?? 20_000);
    for (let i = 0; i < (options.concurrency ?? 4); i++) loop.workers.push(loop.work());
    // Requests flow before the task starts.
    while (loop.succeeded + loop.failed < 4) await new Promise((resolve) => setTimeout(resolve, 20));
    return loop;
  }

  private async work(): Promise<void> {
    while (!this.stopped && this.sent < this.maxRequests) {
      this.sent += 1;
      try {
        const answer = await this.client.score(this.scoringUri, this.key, this.body);
        if (answer.status === 200) {
          this.succeeded += 1;
          const by = String(answer.headers['azureml-model-deployment'] ?? '?');
          this.servedBy[by] = (this.servedBy[by] ?? 0) + 1;
        } else {
          this.record(`HTTP ${answer.status}: ${answer.text.slice(0, 200)}`, String(answer.headers['azureml-model-deployment'] ?? '?'));
        }
      } catch (error) {
        this.record(error instanceof Error ? error.message : String(error), '?');
      }
    }
  }

  private record(failure: string, deployment: string): void {
    this.failed += 1;
    this.failedBy[deployment] = (this.failedBy[deployment] ?? 0) + 1;
    if (this.failures.length < 20) this.failures.push(failure);
  }

  async stop(): Promise<LoopOutcome> {
    this.stopped = true;
    await Promise.all(this.workers);
    this.client.close();
    return { sent: this.sent, succeeded: this.succeeded, failed: this.failed, failures: [...this.failures], servedBy: { ...this.servedBy }, failedBy: { ...this.failedBy } };
  }
}

export interface EndpointView {
  readonly traffic: Record<string, number>;
  readonly mirrorTraffic: Record<string, number>;
  readonly tags: Record<string, string>;
  readonly provisioningState: string;
  readonly deployments: string[];
}

/** The endpoint as the emulator holds it (traffic, mirror, tags) and the names of its deployments. */
export function endpointView(emulator: Emulator, endpointName: string): EndpointView | undefined {
  const endpoint = emulator.inspect.onlineEndpoint(endpointName) as { properties: Record<string, unknown>; tags?: Record<string, string> } | undefined;
  if (!endpoint) return undefined;
  return {
    traffic: (endpoint.properties['traffic'] ?? {}) as Record<string, number>,
    mirrorTraffic: (endpoint.properties['mirrorTraffic'] ?? {}) as Record<string, number>,
    tags: endpoint.tags ?? {},
    provisioningState: String(endpoint.properties['provisioningState']),
    deployments: emulator.inspect.onlineDeployments(endpointName).map((d) => String(d['name'])).sort(),
  };
}

/** The model a deployment serves (`<model>:<version>`). */
export function servedModel(emulator: Emulator, endpointName: string, deployment: string): string | undefined {
  const found = emulator.inspect.onlineDeployments(endpointName).find((d) => d['name'] === deployment) as { properties?: { model?: string } } | undefined;
  const match = /\/models\/([^/]+)\/versions\/([^/]+)$/.exec(found?.properties?.model ?? '');
  return match ? `${match[1]}:${match[2]}` : undefined;
}

/** The ARM writes (PUT, PATCH, DELETE, and POSTs other than reads) recorded since `from`. */
export function armWritesSince(emulator: Emulator, from: number): string[] {
  const reads = /\/(listKeys|getLogs|token)$/;
  return emulator.traffic
    .slice(from)
    .filter((exchange) => exchange.kind === 'arm' && exchange.method !== 'GET')
    .map((exchange) => `${exchange.method} ${new URL(exchange.url).pathname}`)
    .filter((call) => !(call.startsWith('POST ') && reads.test(call)));
}

/** The tags of a model version in the emulator. */
export function modelTags(emulator: Emulator, modelName: string, version: string): Record<string, string> {
  const found = emulator.inspect.modelVersions(modelName).find((v) => v['name'] === version) as { properties?: { tags?: Record<string, string> } } | undefined;
  return found?.properties?.tags ?? {};
}
