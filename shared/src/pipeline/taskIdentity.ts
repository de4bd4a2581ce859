import * as fs from 'node:fs';

/** Which task is running, for the user agent and messages. */
export interface TaskIdentity {
  /** task.json `name`, e.g. AzureMLTrain. */
  readonly name: string;
  /** task.json version, Major.Minor.Patch. */
  readonly version: string;
  /** Version of the extension that shipped the task ('dev' outside a packaged build). */
  readonly extensionVersion: string;
}

// Replaced at bundle time (esbuild `define`) by the extension's version; absent when running the tsc output.
declare const AZUREML_MLOPS_EXTENSION_VERSION: string | undefined;

export function extensionVersion(): string {
  return typeof AZUREML_MLOPS_EXTENSION_VERSION === 'string' && AZUREML_MLOPS_EXTENSION_VERSION
    ? AZUREML_MLOPS_EXTENSION_VERSION
    : 'dev';
}

let current: TaskIdentity = { name: 'unknown-task', version: '0.0.0', extensionVersion: extensionVersion() };

/** Reads name and version from a task.json. */
export function readTaskIdentity(taskJsonPath: string): TaskIdentity {
  const manifest = JSON.parse(fs.readFileSync(taskJsonPath, 'utf8')) as {
    name?: string;
    version?: { Major?: number | string; Minor?: number | string; Patch?: number | string };
  };
  const v = manifest.version ?? {};
  return {
    name: manifest.name ?? 'unknown-task',
    version: `${v.Major ?? 0}.${v.Minor ?? 0}.${v.Patch ?? 0}`,
    extensionVersion: extensionVersion(),
  };
}

/** The running task (set by runTaskMain from task.json). */
export function currentTask(): TaskIdentity {
  return current;
}

export function setCurrentTask(identity: TaskIdentity): void {
  current = identity;
}

/** `azureml-mlops-tasks/<extension version> <TaskName>/<task version>`: lets service logs tell our traffic apart. */
export function userAgentPrefix(identity: TaskIdentity = current): string {
  return `azureml-mlops-tasks/${identity.extensionVersion} ${identity.name}/${identity.version}`;
}
