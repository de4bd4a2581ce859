import { type JobResults, readJobResults } from '@azureml-mlops/shared';

import type { JobWorkspace } from './jobResource';

export type { JobResults };

/** A finished job's metrics (a pipeline's steps as `<step>.<metric>`) and named output URIs. */
export function collectJobResults(workspace: JobWorkspace, jobName: string, abortSignal?: AbortSignal): Promise<JobResults> {
  return readJobResults(workspace, jobName, abortSignal);
}
