/**
 * Runs the BUNDLED AzureMLRegisterModel task (build/extension/tasks/AzureMLRegisterModel, made by `npm run build`) the
 * way the agent does (emulator/src/devops/agent.ts) against an emulator, with a service-principal connection.
 *
 *   const result = await runRegisterTask({ emulator, inputs: { modelName: 'm', jobName } });
 *   result.outputs.ModelVersion; result.artifactFiles[0].content; result.buildTags;
 *
 * Defaults: connection id `register-conn`, inputs resourceGroup/workspace of the emulator, a fresh agent work folder
 * (removed afterwards: artifact files are read first).
 */
import * as fs from 'node:fs';

import type { Emulator } from '@azureml-mlops/emulator';
import { type AgentTaskResult, runTask } from '@azureml-mlops/emulator/dist/devops/agent';

import { repositoryPath, summariesOf } from '../../support/trainTask';

export const REGISTER_TASK_DIR = repositoryPath('build/extension/tasks/AzureMLRegisterModel');

export interface RegisterTaskRun {
  readonly emulator: Emulator;
  /** Task inputs; an input set to '' is left out. */
  readonly inputs: Readonly<Record<string, string>>;
  /** Pipeline variables (Build.BuildId...). */
  readonly variables?: Readonly<Record<string, string>>;
  /** Build.SourcesDirectory (relative localPath values start there). */
  readonly sourcesDirectory?: string;
}

export interface RegisterTaskResult extends AgentTaskResult {
  readonly summaries: readonly string[];
  /** The artifacts the task uploaded, with the content of each file (read before the work folder is removed). */
  readonly artifactFiles: ReadonlyArray<{ readonly name: string; readonly path: string; readonly content: string }>;
}

export async function runRegisterTask(run: RegisterTaskRun): Promise<RegisterTaskResult> {
  const connectionId = 'register-conn';
  const inputs: Record<string, string> = {
    azureSubscription: connectionId,
    resourceGroup: run.emulator.resourceGroup,
    workspace: run.emulator.workspaceName,
    ...run.inputs,
  };
  for (const [name, value] of Object.entries(inputs)) if (value === '') delete inputs[name];
  const outcome = await runTask({
    taskDir: REGISTER_TASK_DIR,
    inputs,
    variables: run.variables,
    env: run.emulator.connectionEnv(connectionId, 'servicePrincipalSecret'),
    sourcesDirectory: run.sourcesDirectory,
  });
  try {
    const summaries = summariesOf(outcome);
    const artifactFiles = outcome.artifacts.map((artifact) => ({ ...artifact, content: fs.existsSync(artifact.path) ? fs.readFileSync(artifact.path, 'utf8') : '' }));
    return { ...outcome, summaries, artifactFiles };
  } finally {
    fs.rmSync(outcome.workFolder, { recursive: true, force: true });
  }
}

/** The versions of a model in the emulator, oldest first, as `{ version, properties }`. */
export function modelVersions(emulator: Emulator, name: string): Array<{ readonly version: string; readonly properties: ModelVersionProperties }> {
  return emulator.inspect.modelVersions(name).map((v) => ({ version: String(v['name']), properties: v['properties'] as ModelVersionProperties }));
}

export interface ModelVersionProperties {
  readonly modelType: string;
  readonly modelUri: string;
  readonly jobName: string | null;
  readonly description: string | null;
  readonly tags: Record<string, string>;
  readonly properties: Record<string, string>;
}

/** A model name no other test uses (the emulator is shared by the whole mocha run). */
export function uniqueModelName(stem: string): string {
  return `${stem}-${Date.now().toString(36)}-${process.pid}`;
}
