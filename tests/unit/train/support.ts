import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import type * as JobSpecModule from '../../../tasks/AzureMLTrain/src/jobSpec';

/**
 * The task's job-spec module, from the task's tsc output: tests compile to tests/dist and the task to
 * tasks/AzureMLTrain/dist, so we look for it upwards from here (then from the working directory).
 */
export const jobSpec: typeof JobSpecModule = require(findInRepository('tasks/AzureMLTrain/dist/jobSpec/index.js'));

/** A file of the repository, looked for upwards from here, then from the working directory. */
export function findInRepository(relative: string): string {
  for (let folder = __dirname; ; folder = path.dirname(folder)) {
    const candidate = path.join(folder, relative);
    if (fs.existsSync(candidate)) return candidate;
    if (path.dirname(folder) === folder) return path.resolve(relative);
  }
}

export const WORKSPACE = { subscriptionId: 'sub-1', resourceGroup: 'rg-1', workspaceName: 'ws-1' } as const;
export const WS = '/subscriptions/sub-1/resourceGroups/rg-1/providers/Microsoft.MachineLearningServices/workspaces/ws-1';

/** A temporary folder holding the given files (path -> content); removed by the returned cleanup. */
export function makeTree(files: Record<string, string>): { root: string; cleanup: () => void } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'aml-jobspec-'));
  for (const [relative, content] of Object.entries(files)) {
    const file = path.join(root, relative);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
  }
  return { root, cleanup: () => fs.rmSync(root, { recursive: true, force: true }) };
}

/** The message of the error `fn` throws (fails the test when it does not throw). */
export function errorOf(fn: () => unknown): Error & { inputName?: string } {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error, but none was thrown');
}
