/**
 * The candidate: a Completed job and the value of every rule metric on it. A job that is not Completed, an unknown
 * step, or a rule metric the job did not log is an InputError that says what the job does have.
 */
import {
  getJobIfExists,
  InputError,
  isPipelineJob,
  type JobResource,
  type JobResultsAccess,
  listForMessage,
  readJobResults,
  statusOf,
  studioUrl,
  type WorkspaceClient,
} from '@azureml-mlops/shared';

import { describeMetricNames, lookupMetric, metricSetFromResults, type MetricSet, stepMetricSet } from './metrics';
import { INPUTS } from './parameters';
import type { MetricRule } from './rules';

export type CandidateAccess = JobResultsAccess & Pick<WorkspaceClient, 'workspaceName' | 'resourceGroup' | 'connection'>;

export interface CandidateValue {
  readonly value: number;
  /** The pipeline step the value comes from, when it is a step's metric. */
  readonly step?: string;
}

export interface Candidate {
  readonly jobName: string;
  readonly studioUrl: string;
  readonly experimentName?: string;
  readonly isPipeline: boolean;
  /** The step chosen by `pipelineStep`. */
  readonly step?: string;
  /** Every metric the rules can name (for the log). */
  readonly metrics: MetricSet;
  /** Value of each rule metric, by the rule's metric name. */
  readonly values: Readonly<Record<string, CandidateValue>>;
}

export async function readCandidate(
  workspace: CandidateAccess,
  jobName: string,
  pipelineStep: string | undefined,
  rules: readonly MetricRule[],
  signal: AbortSignal,
): Promise<Candidate> {
  const job = await getJobIfExists(workspace, jobName, signal);
  if (!job) {
    throw new InputError(
      INPUTS.jobName,
      `the job '${jobName}' was not found in the Azure ML workspace '${workspace.workspaceName}' (resource group ${workspace.resourceGroup})`,
      'Check the name (normally the JobName output of the AzureMLTrain step), and that the service connection and workspace are the ones that ran the job',
    );
  }
  const link = studioUrl(job, jobName, workspace);
  checkCompleted(job, jobName, link);

  const results = await readJobResults(workspace, jobName, signal, job);
  const all = metricSetFromResults(results);
  const pipeline = isPipelineJob(job);
  let metrics = all;
  if (pipelineStep !== undefined) {
    if (!pipeline) {
      throw new InputError(
        INPUTS.pipelineStep,
        `is '${pipelineStep}', but the job '${jobName}' is a ${(job.properties?.jobType ?? 'command').toLowerCase()} job, not a pipeline job`,
        `Remove '${INPUTS.pipelineStep}': the metrics of the job itself are judged`,
      );
    }
    const steps = Object.keys(results.steps);
    if (!steps.includes(pipelineStep)) {
      throw new InputError(
        INPUTS.pipelineStep,
        `the pipeline job '${jobName}' has no step '${pipelineStep}' that logged metrics (steps with metrics: ${steps.length === 0 ? 'none' : listForMessage(steps)})`,
        'Use the step\'s key under jobs: in the pipeline YAML, as listed',
      );
    }
    metrics = stepMetricSet(all, pipelineStep);
  }

  const values: Record<string, CandidateValue> = {};
  for (const rule of rules) {
    const found = lookupMetric(metrics, rule.metric);
    if (found.found) {
      values[rule.metric] = found.step === undefined ? { value: found.value } : { value: found.value, step: found.step };
      continue;
    }
    const where = metrics.step !== undefined ? `step '${metrics.step}' of the pipeline job '${jobName}'` : `job '${jobName}'`;
    if (found.ambiguousIn) {
      throw new InputError(
        INPUTS.rules,
        `line ${rule.line}: the metric '${rule.metric}' is logged by several steps of the pipeline job '${jobName}'`,
        `Name the step's metric: ${found.ambiguousIn.join(' or ')}; or set '${INPUTS.pipelineStep}'`,
      );
    }
    throw new InputError(
      INPUTS.rules,
      `line ${rule.line}: the candidate ${where} has no metric '${rule.metric}'. Its metrics: ${describeMetricNames(metrics)}`,
      'Use one of those names, or log the metric in the training script (mlflow.log_metric)',
    );
  }
  return {
    jobName,
    studioUrl: link,
    ...(job.properties?.experimentName ? { experimentName: job.properties.experimentName } : {}),
    isPipeline: pipeline,
    ...(metrics.step !== undefined ? { step: metrics.step } : {}),
    metrics,
    values,
  };
}

/** Only a Completed job has final metrics worth promoting. */
function checkCompleted(job: JobResource, jobName: string, link: string): void {
  const status = statusOf(job);
  if (status === 'Completed') return;
  const running = ['NotStarted', 'Queued', 'Preparing', 'Provisioning', 'Starting', 'Running', 'Finalizing', 'CancelRequested'].includes(status);
  throw new InputError(
    INPUTS.jobName,
    `the job '${jobName}' is ${status} (${link}), but only a Completed job can be evaluated`,
    running
      ? `Evaluate it once it has finished: run AzureMLTrain with wait: true before this step, or AzureMLTrain with jobName: ${jobName} to wait for it`
      : 'A job that did not complete has no final metrics to promote: fix the job and train again',
  );
}
