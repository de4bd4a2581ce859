/** The logs of a deployment's containers (getLogs), into the task log in collapsible groups, secrets masked. */
import { onlineDeploymentPath } from '../azureml/endpoints';
import { describeError } from '../pipeline/describeError';
import { info, startGroup } from '../pipeline/logging';
import { redactSecrets } from '../pipeline/secrets';
import { DEPLOYMENT_API_VERSION, type DeployWorkspace } from './arm';
import type { DeploymentLogs } from './types';

const CONTAINERS = [
  { type: 'InferenceServer', field: 'inferenceServer', title: 'Inference server log' },
  { type: 'StorageInitializer', field: 'storageInitializer', title: 'Storage initializer log' },
] as const;

/**
 * Both containers' logs (the last `tail` lines each, default 200). Never throws for a log that cannot be read (the
 * deployment may be gone, or the caller may not read logs): `problems` says why.
 */
export async function fetchDeploymentLogs(
  workspace: DeployWorkspace,
  endpointName: string,
  deploymentName: string,
  options: { tail?: number; signal?: AbortSignal } = {},
): Promise<DeploymentLogs> {
  const logs: { -readonly [K in keyof DeploymentLogs]: DeploymentLogs[K] } = { endpointName, deploymentName, problems: [] };
  const problems: string[] = [];
  for (const container of CONTAINERS) {
    try {
      const response = await workspace.armRequest<{ content?: string | null }>(
        'POST',
        `${onlineDeploymentPath(workspace, endpointName, deploymentName)}/getLogs`,
        { containerType: container.type, tail: options.tail ?? 200 },
        { abortSignal: options.signal, apiVersion: DEPLOYMENT_API_VERSION },
      );
      logs[container.field] = response.body?.content ?? '';
    } catch (error) {
      if (options.signal?.aborted) throw error;
      problems.push(`The ${container.title.toLowerCase()} could not be read: ${describeError(error)}`);
    }
  }
  logs.problems = problems;
  return logs;
}

/** Prints each container's log in its own collapsible group (empty logs say so), secrets masked. */
export function printDeploymentLogs(logs: DeploymentLogs): void {
  for (const container of CONTAINERS) {
    const content = logs[container.field];
    if (content === undefined) continue;
    const end = startGroup(`${container.title} of deployment '${logs.deploymentName}' (endpoint '${logs.endpointName}')`);
    try {
      if (content.trim() === '') info('(empty)');
      else for (const line of content.replace(/\r?\n$/, '').split(/\r?\n/)) info(asLogText(line));
    } finally {
      end();
    }
  }
  for (const problem of logs.problems) info(problem);
}

/**
 * The last error line of a log (a Python exception such as `FileNotFoundError: no model.json under ...`, or a line
 * saying ERROR), without its timestamp prefix; undefined when there is none.
 */
export function lastErrorLine(log: string | undefined): string | undefined {
  if (!log) return undefined;
  const lines = log.split(/\r?\n/).map((line) => line.replace(/^\S+\s+\|\s+/, '').trim()).filter((line) => line !== '');
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!;
    if (/^[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt)(:\s.*)?$/.test(line)) return redactSecrets(line.slice(0, 500));
  }
  for (let i = lines.length - 1; i >= 0; i--) {
    if (/\b(ERROR|CRITICAL|FATAL)\b/.test(lines[i]!)) return redactSecrets(lines[i]!.slice(0, 500));
  }
  return undefined;
}

/**
 * A line written by someone else (a container, a scoring script) made safe for the task log: secrets masked, and
 * agent commands (`##vso[...]`, `##[...]`) defused so that a log line cannot set variables or fail the task.
 */
export function asLogText(line: string): string {
  return redactSecrets(line).replace(/##(vso)?\[/gi, '#\u200b#$1[');
}
