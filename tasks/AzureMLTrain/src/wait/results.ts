import type { MlflowRun } from '@azureml-mlops/shared';

import { getJob, isPipelineJob, type JobWorkspace } from './jobResource';
import { stepNameOf } from './logStreaming';

export interface JobResults {
  /** Final value of each metric: the job's own, and for a pipeline each step's as `<step>.<metric>`. */
  readonly metrics: Readonly<Record<string, number>>;
  /** URI of each named output (the job's `default` artifacts output is left out). */
  readonly outputs: Readonly<Record<string, string>>;
}

/** A finished job's metrics (MLflow) and output URIs (the job resource), keys sorted. */
export async function collectJobResults(workspace: JobWorkspace, jobName: string, abortSignal?: AbortSignal): Promise<JobResults> {
  const job = await getJob(workspace, jobName, abortSignal);
  const outputs: Record<string, string> = {};
  for (const [name, output] of sortedEntries(job.properties?.outputs ?? {})) {
    if (name === 'default') continue;
    const uri = output?.uri;
    if (typeof uri === 'string' && uri !== '') outputs[name] = uri;
  }

  const metrics: Record<string, number> = {};
  const run = await workspace.mlflow.getRun(jobName, abortSignal);
  if (run) {
    if (isPipelineJob(job)) {
      const steps = await workspace.mlflow.searchRuns({ experimentIds: [run.info.experiment_id], parentRunId: jobName, abortSignal });
      for (const step of steps) addMetrics(metrics, step, `${stepNameOf(step)}.`);
    }
    addMetrics(metrics, run, '');
  }
  return { metrics: Object.fromEntries(sortedEntries(metrics)), outputs };
}

/** MLflow's run.data.metrics holds the latest value of each metric. */
function addMetrics(into: Record<string, number>, run: MlflowRun, prefix: string): void {
  for (const metric of run.data.metrics ?? []) {
    if (typeof metric.value === 'number') into[`${prefix}${metric.key}`] = metric.value;
  }
}

function sortedEntries<T>(record: Readonly<Record<string, T>>): Array<[string, T]> {
  return Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
