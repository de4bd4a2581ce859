import * as fs from 'node:fs';
import * as path from 'node:path';

import type * as JudgementModule from '../../../tasks/AzureMLEvaluate/src/judgement';
import type * as MetricsModule from '../../../tasks/AzureMLEvaluate/src/metrics';
import type * as ParametersModule from '../../../tasks/AzureMLEvaluate/src/parameters';
import type * as RulesModule from '../../../tasks/AzureMLEvaluate/src/rules';

/** A file of the repository, looked for upwards from here, then from the working directory. */
function findInRepository(relative: string): string {
  for (let folder = __dirname; ; folder = path.dirname(folder)) {
    const candidate = path.join(folder, relative);
    if (fs.existsSync(candidate)) return candidate;
    if (path.dirname(folder) === folder) return path.resolve(relative);
  }
}

// The task's own modules, from its tsc output (tests compile to tests/dist, the task to tasks/AzureMLEvaluate/dist).
export const rules: typeof RulesModule = require(findInRepository('tasks/AzureMLEvaluate/dist/rules.js'));
export const judgement: typeof JudgementModule = require(findInRepository('tasks/AzureMLEvaluate/dist/judgement.js'));
export const metrics: typeof MetricsModule = require(findInRepository('tasks/AzureMLEvaluate/dist/metrics.js'));
export const parameters: typeof ParametersModule = require(findInRepository('tasks/AzureMLEvaluate/dist/parameters.js'));

/** The message of the error `fn` throws (fails the test when it does not throw). */
export function errorOf(fn: () => unknown): Error & { inputName?: string } {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error, but none was thrown');
}
