import { describeError, type RunDetails, stepNameOf } from '@azureml-mlops/shared';

import type { JobWorkspace } from './jobResource';
import { isSucceededStatus, isTerminalStatus } from './statuses';
import type { WaitLog } from './waitLog';

/** A service error longer than this keeps its start (what failed) and its end (the exception). */
const MAX_ERROR_CHARS = 6_000;

/** The run history's own error text of a run (e.g. "Execution failed. User process 'python' exited... Error: <traceback>"). */
export function runErrorText(details: RunDetails | undefined): string | undefined {
  const error = details?.error;
  if (!error) return undefined;
  const inner = error.error?.message;
  const outer = (error as Record<string, unknown>)['message'];
  const text = (typeof inner === 'string' && inner.trim() !== '' ? inner : typeof outer === 'string' ? outer : '').trim();
  if (text === '') return undefined;
  if (text.length <= MAX_ERROR_CHARS) return text;
  return `${text.slice(0, 1_000)}\n[...]\n${text.slice(-(MAX_ERROR_CHARS - 1_000))}`;
}

/**
 * Why a pipeline job failed, in the words of its failed steps: `Step '<name>' failed: <the step's error>` for each
 * (the pipeline's own error only says "Pipeline has failed child jobs"). Undefined when no step says more.
 */
export async function failedStepsText(workspace: JobWorkspace, jobName: string, log: WaitLog, signal: AbortSignal): Promise<string | undefined> {
  try {
    const parent = await workspace.mlflow.getRun(jobName, signal);
    if (!parent) return undefined;
    const children = await workspace.mlflow.searchRuns({ experimentIds: [parent.info.experiment_id], parentRunId: jobName, abortSignal: signal });
    const messages: string[] = [];
    for (const child of children) {
      const details = await workspace.runHistory.getRunDetails(child.info.run_id, signal);
      if (!details || !isTerminalStatus(details.status) || isSucceededStatus(details.status)) continue;
      const text = runErrorText(details);
      // A step cancelled because another failed has nothing to add.
      if (text === undefined && details.status === 'Canceled') continue;
      messages.push(`Step '${stepNameOf(child)}' ${details.status === 'Failed' ? 'failed' : `ended ${details.status}`}: ${text ?? 'no error details'}`);
    }
    return messages.length > 0 ? messages.join('\n') : undefined;
  } catch (error) {
    if (signal.aborted) throw error;
    log.debug(`Could not read the steps of pipeline job '${jobName}' for its error: ${describeError(error)}`);
    return undefined;
  }
}
