/**
 * Helpers of the AzureMLEvaluate black-box tests: run the BUNDLED task as the agent does, train REAL jobs with the
 * bundled Train task (the diabetes sample, or a small script that logs chosen metrics), and create what a baseline is
 * made of (model versions, online endpoints and deployments) with plain ARM calls, as `az ml` would.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import type { AuthScheme, Emulator } from '@azureml-mlops/emulator';
import { type AgentTaskResult, startTask } from '@azureml-mlops/emulator/dist/devops/agent';

import { AzureMlTestClient, unique } from '../../emulator/azureml/support';
import { logOf, repositoryPath, runTrainTask, SAMPLE_JOB, summariesOf } from '../support/trainTask';

/** The emulated workspace's region (docs/emulator.md: fixed world). */
const WORKSPACE_LOCATION = 'westeurope';

export const EVALUATE_TASK_DIR = repositoryPath('build/extension/tasks/AzureMLEvaluate');

export interface EvaluateTaskRun {
  readonly emulator: Emulator;
  /** Task inputs; an input set to '' is left out. */
  readonly inputs?: Readonly<Record<string, string>>;
  readonly scheme?: AuthScheme;
  readonly scopeLevel?: 'Subscription' | 'AzureMLWorkspace';
  readonly connectionId?: string;
  readonly env?: Readonly<Record<string, string>>;
}

export interface EvaluateTaskResult extends AgentTaskResult {
  /** Markdown of the run summary sections the task attached (read before the work folder is removed). */
  readonly summaries: readonly string[];
}

/** Runs the bundled Evaluate task with the connection (default `evaluate-conn`, service principal secret). */
export async function runEvaluateTask(run: EvaluateTaskRun): Promise<EvaluateTaskResult> {
  const connectionId = run.connectionId ?? 'evaluate-conn';
  const scoped = run.scopeLevel === 'AzureMLWorkspace';
  const inputs: Record<string, string> = {
    azureSubscription: connectionId,
    ...(scoped ? {} : { resourceGroup: run.emulator.resourceGroup, workspace: run.emulator.workspaceName }),
    ...(run.inputs ?? {}),
  };
  for (const [name, value] of Object.entries(inputs)) if (value === '') delete inputs[name];
  const outcome = await startTask({
    taskDir: EVALUATE_TASK_DIR,
    inputs,
    env: { ...run.emulator.connectionEnv(connectionId, run.scheme ?? 'servicePrincipalSecret', { scopeLevel: run.scopeLevel ?? 'Subscription' }), ...(run.env ?? {}) },
  }).result;
  const summaries = summariesOf(outcome);
  fs.rmSync(outcome.workFolder, { recursive: true, force: true });
  return { ...outcome, summaries };
}

/** Trains the diabetes sample with this alpha through the bundled Train task; returns the Completed job's name. */
export async function trainDiabetes(emulator: Emulator, alpha: number): Promise<string> {
  const result = await runTrainTask({ emulator, inputs: { jobFile: SAMPLE_JOB, overrides: `inputs.alpha=${alpha}`, streamLogs: 'false' } });
  assert.equal(result.result, 'Succeeded', logOf(result));
  return result.outputs['JobName']!;
}

/**
 * Logs the given metrics through MLflow's REST API from inside an Azure ML job (the tracking URI, run id and token the
 * service gives every job), and writes a model file to the `model` output, like a training script.
 */
const LOG_METRICS_SCRIPT = `import json, os, ssl, sys, time, urllib.request
from pathlib import Path
metrics = {k: float(v) for k, v in (arg.split("=", 1) for arg in sys.argv[2:])}
Path(sys.argv[1]).mkdir(parents=True, exist_ok=True)
(Path(sys.argv[1]) / "model.json").write_text(json.dumps(metrics))
base = os.environ["MLFLOW_TRACKING_URI"].replace("azureml://", "https://", 1).rstrip("/")
now = int(time.time() * 1000)
body = {"run_id": os.environ["MLFLOW_RUN_ID"], "metrics": [{"key": k, "value": v, "timestamp": now, "step": 0} for k, v in metrics.items()]}
request = urllib.request.Request(base + "/api/2.0/mlflow/runs/log-batch", data=json.dumps(body).encode(), headers={"Content-Type": "application/json", "Authorization": "Bearer " + os.environ["MLFLOW_TRACKING_TOKEN"]}, method="POST")
urllib.request.urlopen(request, timeout=30, context=ssl.create_default_context()).read()
print("logged", sorted(metrics))
`;

const ENVIRONMENT = ['environment:', '  image: mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:latest'];

/** A command job that logs exactly these metrics (and has a `model` output); returns the Completed job's name. */
export async function trainWithMetrics(emulator: Emulator, metrics: Readonly<Record<string, number>>): Promise<string> {
  const args = Object.entries(metrics).map(([k, v]) => `${k}=${v}`).join(' ');
  return submitProject(emulator, [
    'type: command',
    'experiment_name: evaluate-blackbox',
    'code: ./src',
    `command: python log_metrics.py \${{outputs.model}} ${args}`,
    'outputs:',
    '  model:',
    '    type: uri_folder',
    ...ENVIRONMENT,
    'compute: azureml:cpu-cluster',
  ]);
}

/** A pipeline job whose steps (name -> metrics) each log their metrics; returns the Completed job's name. */
export async function trainPipeline(emulator: Emulator, steps: Readonly<Record<string, Readonly<Record<string, number>>>>): Promise<string> {
  const jobs = Object.entries(steps).flatMap(([step, metrics]) => [
    `  ${step}:`,
    '    type: command',
    '    code: ./src',
    `    command: python log_metrics.py \${{outputs.model}} ${Object.entries(metrics).map(([k, v]) => `${k}=${v}`).join(' ')}`,
    '    outputs:',
    '      model:',
    '        type: uri_folder',
    ...ENVIRONMENT.map((line) => `    ${line}`),
  ]);
  return submitProject(emulator, ['type: pipeline', 'experiment_name: evaluate-blackbox-pipeline', 'settings:', '  default_compute: azureml:cpu-cluster', 'jobs:', ...jobs]);
}

async function submitProject(emulator: Emulator, yaml: readonly string[]): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'evaluate-bb-job-'));
  try {
    fs.mkdirSync(path.join(dir, 'src'));
    fs.writeFileSync(path.join(dir, 'src', 'log_metrics.py'), LOG_METRICS_SCRIPT);
    fs.writeFileSync(path.join(dir, 'job.yml'), `${yaml.join('\n')}\n`);
    const result = await runTrainTask({ emulator, inputs: { jobFile: path.join(dir, 'job.yml'), streamLogs: 'false' } });
    assert.equal(result.result, 'Succeeded', logOf(result));
    return result.outputs['JobName']!;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** What `az ml` does, as plain ARM calls with the service principal's token. */
export class Workspace {
  private constructor(readonly client: AzureMlTestClient) {}

  static async connect(emulator: Emulator): Promise<Workspace> {
    return new Workspace(await AzureMlTestClient.connect(emulator));
  }

  /** A model version from a job's `model` output (the service records the job as its jobName). */
  async registerFromJob(name: string, version: string, jobName: string, options: { tags?: Record<string, string>; properties?: Record<string, string> } = {}): Promise<void> {
    await this.putModel(name, version, { modelUri: `azureml://jobs/${jobName}/outputs/model`, ...options });
  }

  /** A model version from files in the datastore (no job): only the metrics recorded in its properties tell its quality. */
  async registerFromFiles(name: string, version: string, jobName: string, properties: Record<string, string>): Promise<void> {
    await this.putModel(name, version, { modelUri: `azureml://datastores/workspaceblobstore/paths/azureml/${jobName}/model/`, properties });
  }

  private async putModel(name: string, version: string, properties: Record<string, unknown>): Promise<void> {
    const answer = await this.client.arm('PUT', `models/${name}/versions/${version}`, { properties: { modelType: 'custom_model', ...properties } });
    assert.ok(answer.status === 200 || answer.status === 201, `PUT model ${name}:${version}: ${answer.status} ${answer.text}`);
  }

  /** The environment the test deployments run in. */
  async environment(): Promise<string> {
    const name = 'evaluate-scoring-env';
    const answer = await this.client.arm('PUT', `environments/${name}/versions/1`, { properties: { image: 'mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:latest' } });
    assert.ok(answer.status === 200 || answer.status === 201, answer.text);
    return `/${this.client.workspacePath}/environments/${name}/versions/1`;
  }

  /** Creates or updates an online endpoint with this traffic split, and waits for it. */
  async putEndpoint(name: string, traffic: Record<string, number>): Promise<void> {
    const answer = await this.client.arm('PUT', `onlineEndpoints/${name}`, {
      location: WORKSPACE_LOCATION,
      identity: { type: 'SystemAssigned' },
      properties: { authMode: 'Key', traffic },
    });
    assert.ok(answer.status === 200 || answer.status === 201, `PUT endpoint ${name}: ${answer.status} ${answer.text}`);
    await this.waitProvisioned(`onlineEndpoints/${name}`);
  }

  /** Creates a managed online deployment serving a model version, and waits for it. */
  async putDeployment(endpoint: string, deployment: string, model: { name: string; version: string }, environmentId: string): Promise<void> {
    const answer = await this.client.arm('PUT', `onlineEndpoints/${endpoint}/deployments/${deployment}`, {
      location: WORKSPACE_LOCATION,
      sku: { name: 'Default', capacity: 1 },
      properties: {
        endpointComputeType: 'Managed',
        model: `/${this.client.workspacePath}/models/${model.name}/versions/${model.version}`,
        environmentId,
        instanceType: 'Standard_DS3_v2',
      },
    });
    assert.ok(answer.status === 200 || answer.status === 201, `PUT deployment ${endpoint}/${deployment}: ${answer.status} ${answer.text}`);
    await this.waitProvisioned(`onlineEndpoints/${endpoint}/deployments/${deployment}`);
  }

  private async waitProvisioned(relative: string): Promise<void> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const resource = await this.client.arm('GET', relative);
      const state = String(resource.body['properties']?.['provisioningState'] ?? '');
      if (state === 'Succeeded') return;
      if (state === 'Failed' || state === 'Canceled' || Date.now() > deadline) throw new Error(`${relative}: provisioningState ${state}: ${resource.text}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** A model or endpoint name no other test of the shared emulator uses. */
export function uniqueName(prefix: string): string {
  return unique(prefix);
}

/** The REAL jobs the Evaluate black-box tests judge, trained once per mocha process (see sharedJobs). */
export interface TrainedJobs {
  /** Diabetes sample, alpha 0.5: mse ≈ 3353.80, r2 ≈ 0.4528. */
  readonly good: string;
  /** The same training again: exactly the same metrics as `good` (a tie). */
  readonly goodAgain: string;
  /** alpha 200: mse ≈ 3442.80, r2 ≈ 0.4383, between good and weak. */
  readonly middle: string;
  /** alpha 500: mse ≈ 3747.54, r2 ≈ 0.3886. */
  readonly weak: string;
  /** A job logging mse 3400, r2 0.44 and mae 47 (a metric the diabetes jobs do not log). */
  readonly withMae: string;
  /** A pipeline job: step `train` logs mse 3353.8 and r2 0.45, step `check` logs mse 3500 and rows 442. */
  readonly pipeline: string;
}

let trained: Promise<TrainedJobs> | undefined;

/** Trains the jobs of TrainedJobs once (a few seconds, in parallel); later calls get the same jobs. */
export function sharedJobs(emulator: Emulator): Promise<TrainedJobs> {
  trained ??= (async () => {
    const [good, goodAgain, middle, weak, withMae, pipeline] = await Promise.all([
      trainDiabetes(emulator, 0.5),
      trainDiabetes(emulator, 0.5),
      trainDiabetes(emulator, 200),
      trainDiabetes(emulator, 500),
      trainWithMetrics(emulator, { mse: 3400, r2: 0.44, mae: 47 }),
      trainPipeline(emulator, { train: { mse: 3353.8, r2: 0.45 }, check: { mse: 3500, rows: 442 } }),
    ]);
    return { good: good!, goodAgain: goodAgain!, middle: middle!, weak: weak!, withMae: withMae!, pipeline: pipeline! };
  })();
  trained.catch(() => (trained = undefined));
  return trained;
}

/** ARM requests (not the data plane) that change something, from `since` on in the emulator's recorded traffic. */
export function armWrites(emulator: Emulator, since: number): string[] {
  return emulator.traffic
    .slice(since)
    .filter((exchange) => exchange.kind === 'arm' && exchange.method !== 'GET')
    .map((exchange) => `${exchange.method} ${new URL(exchange.url).pathname}`);
}
