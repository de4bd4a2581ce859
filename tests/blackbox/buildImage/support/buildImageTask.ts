/**
 * Runs the BUNDLED AzureMLBuildImage task (build/extension/tasks/AzureMLBuildImage, made by `npm run build`) the way
 * the agent does (emulator/src/devops/agent.ts) against an emulator, with a service-principal connection, and reads
 * back what it did on the emulated Azure side (ACR runs, images, environment versions).
 *
 *   const result = await runBuildImageTask({ emulator, inputs: { repository: 'diabetes-scoring', scoringCode: ... } });
 *   result.outputs.ImageName; result.summaries;
 */
import * as fs from 'node:fs';
import { randomBytes } from 'node:crypto';

import type { Emulator } from '@azureml-mlops/emulator';
import { type AgentTaskResult, type RunningTask, startTask } from '@azureml-mlops/emulator/dist/devops/agent';

import { AzureMlTestClient } from '../../../emulator/azureml/support';
import { armAccessToken, emulatorRequest, workspacePath } from '../../../support/emulatorHttp';
import { repositoryPath } from '../../../support/repository';
import { summariesOf } from '../../support/trainTask';

export const BUILD_IMAGE_TASK_DIR = process.env['DEV_BUILD_IMAGE_DIR'] ?? repositoryPath('build/extension/tasks/AzureMLBuildImage'); // DEV-ONLY-REMOVE
/** The diabetes sample's scoring side: conda file and scoring code. */
export const SAMPLE = {
  condaFile: 'samples/diabetes/environment/score-conda.yml',
  scoringCode: 'samples/diabetes/score',
} as const;

export interface BuildImageTaskRun {
  readonly emulator: Emulator;
  /** Task inputs; an input set to '' is left out. */
  readonly inputs: Readonly<Record<string, string>>;
  /** Pipeline variables (Build.BuildId...). */
  readonly variables?: Readonly<Record<string, string>>;
  /** Build.SourcesDirectory (relative paths start there). Default: the repository. */
  readonly sourcesDirectory?: string;
  readonly onLine?: (line: string) => void;
}

export interface BuildImageTaskResult extends AgentTaskResult {
  readonly summaries: readonly string[];
}

export interface RunningBuildImageTask extends Omit<RunningTask, 'result'> {
  readonly result: Promise<BuildImageTaskResult>;
}

export function startBuildImageTask(run: BuildImageTaskRun): RunningBuildImageTask {
  const connectionId = 'build-image-conn';
  const inputs: Record<string, string> = {
    azureSubscription: connectionId,
    resourceGroup: run.emulator.resourceGroup,
    workspace: run.emulator.workspaceName,
    ...run.inputs,
  };
  for (const [name, value] of Object.entries(inputs)) if (value === '') delete inputs[name];
  const running = startTask({
    taskDir: BUILD_IMAGE_TASK_DIR,
    inputs,
    variables: { 'Build.BuildId': '5150', ...(run.variables ?? {}) },
    env: run.emulator.connectionEnv(connectionId, 'servicePrincipalSecret'),
    sourcesDirectory: run.sourcesDirectory ?? repositoryPath('.'),
    onLine: run.onLine,
  });
  const result = running.result.then((outcome) => {
    const summaries = summariesOf(outcome);
    fs.rmSync(outcome.workFolder, { recursive: true, force: true });
    return { ...outcome, summaries };
  });
  return { pid: running.pid, cancel: () => running.cancel(), result };
}

export function runBuildImageTask(run: BuildImageTaskRun): Promise<BuildImageTaskResult> {
  return startBuildImageTask(run).result;
}

/** A repository (and environment) name no other test uses: the emulator is shared by the whole mocha run. */
export function uniqueName(stem: string): string {
  return `${stem}-${randomBytes(4).toString('hex')}`;
}

/** The ACR runs that pushed to `repository`, oldest first. */
export function runsFor(emulator: Emulator, repository: string): Array<{ runId: string; status: string; request: { imageNames: string[]; dockerFilePath: string } }> {
  return emulator.inspect
    .containerRegistryRuns()
    .filter((run) => ((run['request'] as { imageNames: string[] }).imageNames ?? []).some((name) => name.startsWith(`${repository}:`)))
    .map((run) => ({
      runId: String(run['name']),
      status: String((run['properties'] as { status: string }).status),
      request: run['request'] as { imageNames: string[]; dockerFilePath: string },
    }))
    .reverse();
}

export interface EnvironmentVersion {
  readonly id: string;
  readonly name: string;
  readonly properties: {
    readonly image: string;
    readonly description?: string;
    readonly inferenceConfig?: Record<string, { path: string; port: number }>;
    readonly tags: Record<string, string>;
    readonly properties: Record<string, string>;
  };
}

/** The versions of an environment as the ARM API lists them ([] when it does not exist), oldest first. */
export async function environmentVersions(emulator: Emulator, name: string): Promise<EnvironmentVersion[]> {
  const answer = await emulatorRequest(emulator, 'GET', `/${workspacePath(emulator)}/environments/${name}/versions?api-version=2022-10-01&$orderBy=createdtime%20asc`, {
    bearer: await armAccessToken(emulator),
  });
  if (answer.status === 404) return [];
  if (answer.status !== 200) throw new Error(`listing environment versions: ${answer.status} ${answer.text}`);
  return answer.json<{ value: EnvironmentVersion[] }>().value;
}

/** Registers version 1 of a model directly (as `az ml model create` would), its files uploaded to the default datastore first. */
export async function registerModel(emulator: Emulator, name: string, files: Record<string, string>): Promise<string> {
  const folder = `models/${name}`;
  const client = await AzureMlTestClient.connect(emulator);
  for (const [file, content] of Object.entries(files)) await client.uploadText(`${folder}/${file}`, content);
  const answer = await client.arm('PUT', `models/${name}/versions/1`, {
    properties: { modelType: 'custom_model', modelUri: `azureml://datastores/workspaceblobstore/paths/${folder}/`, description: 'black-box test model' },
  });
  if (answer.status !== 200 && answer.status !== 201) throw new Error(`registering the model: ${answer.status} ${answer.text}`);
  return `${name}:1`;
}
