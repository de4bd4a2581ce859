/**
 * Runs the BUNDLED AzureMLTrain task (build/extension/tasks/AzureMLTrain, made by `npm run build`) the way the agent
 * does (emulator/src/devops/agent.ts) against an emulator, with the service connection of one authentication scheme.
 *
 *   const result = await runTrainTask({ emulator, inputs: { jobFile: SAMPLE_JOB } });
 *   result.result; result.outputs.JobName; result.errors;
 *
 * Defaults: connection id `train-conn`, scheme servicePrincipalSecret, inputs resourceGroup/workspace of the emulator
 * (left out for a connection scoped to the workspace, or when `inputs` sets them to ''), a fresh agent work folder
 * (removed afterwards unless `keepWorkFolder`).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

import type { AuthScheme, Emulator } from '@azureml-mlops/emulator';
import { repositoryPath } from '../../support/repository';
import { type AgentTaskResult, type RunningTask, startTask } from '@azureml-mlops/emulator/dist/devops/agent';

export { REPOSITORY_ROOT, repositoryPath } from '../../support/repository';

export const TRAIN_TASK_DIR = repositoryPath('build/extension/tasks/AzureMLTrain');
/** The diabetes sample: train-job.yml, src/train.py, data/diabetes.csv, environment/conda.yml. */
export const SAMPLE_DIR = repositoryPath('samples/diabetes');
export const SAMPLE_JOB = path.join(SAMPLE_DIR, 'train-job.yml');

export interface TrainTaskRun {
  readonly emulator: Emulator;
  /** Task inputs; an input set to '' is left out. */
  readonly inputs?: Readonly<Record<string, string>>;
  readonly scheme?: AuthScheme;
  readonly scopeLevel?: 'Subscription' | 'AzureMLWorkspace';
  readonly connectionId?: string;
  /** Pipeline variables (Build.BuildId...). */
  readonly variables?: Readonly<Record<string, string>>;
  /** Extra environment, after the connection's. */
  readonly env?: Readonly<Record<string, string>>;
  /** Build.SourcesDirectory (the task's cwd; relative jobFile paths start there). */
  readonly sourcesDirectory?: string;
  readonly onLine?: (line: string) => void;
  readonly keepWorkFolder?: boolean;
}

/** The agent's result, plus the Markdown of the run summary sections the task attached (read before cleanup). */
export interface TrainTaskResult extends AgentTaskResult {
  readonly summaries: readonly string[];
}

export interface RunningTrainTask extends Omit<RunningTask, 'result'> {
  readonly result: Promise<TrainTaskResult>;
}

export function startTrainTask(run: TrainTaskRun): RunningTrainTask {
  const connectionId = run.connectionId ?? 'train-conn';
  const scoped = run.scopeLevel === 'AzureMLWorkspace';
  const inputs: Record<string, string> = {
    azureSubscription: connectionId,
    ...(scoped ? {} : { resourceGroup: run.emulator.resourceGroup, workspace: run.emulator.workspaceName }),
    ...(run.inputs ?? {}),
  };
  for (const [name, value] of Object.entries(inputs)) if (value === '') delete inputs[name];
  const running = startTask({
    taskDir: TRAIN_TASK_DIR,
    inputs,
    variables: run.variables,
    env: {
      ...run.emulator.connectionEnv(connectionId, run.scheme ?? 'servicePrincipalSecret', { scopeLevel: run.scopeLevel ?? 'Subscription' }),
      ...(run.env ?? {}),
    },
    sourcesDirectory: run.sourcesDirectory,
    onLine: run.onLine,
  });
  const result = running.result.then((outcome) => {
    const summaries = summariesOf(outcome);
    if (!run.keepWorkFolder) fs.rmSync(outcome.workFolder, { recursive: true, force: true });
    return { ...outcome, summaries };
  });
  return { pid: running.pid, cancel: () => running.cancel(), result };
}

export function runTrainTask(run: TrainTaskRun): Promise<TrainTaskResult> {
  return startTrainTask(run).result;
}

/** The Markdown of the run-summary sections a task attached (read before its work folder is removed). */
export function summariesOf(result: AgentTaskResult): string[] {
  return result.attachments
    .filter((attachment) => attachment.type === 'Distributedtask.Core.Summary' && fs.existsSync(attachment.path))
    .map((attachment) => fs.readFileSync(attachment.path, 'utf8'));
}

/** The task's log, for assertion messages. */
export function logOf(result: AgentTaskResult): string {
  return result.log.join('\n');
}

export { inPool } from '../../support/inPool';

/** Copies the diabetes sample into `folder` (so that a test may change it); returns the copy's job YAML. */
export function copySample(folder: string): string {
  fs.cpSync(SAMPLE_DIR, folder, { recursive: true });
  return path.join(folder, 'train-job.yml');
}

/** A stack trace line in raw output: product errors are one readable line. */
export const STACK_TRACE = /^\s+at .+(:\d+:\d+\)?|\(native\))$/m;

/** What every bad-input case of every task must show: it failed with exactly one error, that one, and no stack trace. */
export function assertOneClearError(result: AgentTaskResult, expected: RegExp): void {
  assert.equal(result.result, 'Failed', logOf(result));
  assert.equal(result.errors.length, 1, `one error expected:\n${result.errors.join('\n')}`);
  assert.match(result.errors[0]!, expected);
  assert.doesNotMatch(`${result.rawStdout}\n${result.rawStderr}`, STACK_TRACE, 'no stack trace in what the task printed');
}

/** Blobs of the default datastore as `name@etag`, to tell whether a run uploaded anything. */
export async function datastoreSnapshot(emulator: Emulator, prefix = ''): Promise<string[]> {
  const blobs = await emulator.inspect.datastoreBlobs();
  return blobs
    .filter((blob) => blob.name.startsWith(prefix))
    .map((blob) => `${blob.name}@${blob.etag}`)
    .sort();
}
