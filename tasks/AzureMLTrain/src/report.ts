/** What the task reports: output variables and the run summary section. */
import { info, outputWriter, publishSummary, SummaryBuilder, warning } from '@azureml-mlops/shared';

import type { JobOutcome, JobResults } from './wait';

/** Output variables declared in task.json. */
export const OUTPUT_NAMES = ['JobName', 'JobStatus', 'StudioUrl', 'Metrics', 'Outputs'] as const;
/** One variable per metric and per job output (task.json documents them under Metrics and Outputs). */
export const METRIC_PREFIX = 'Metric_';
export const OUTPUT_PREFIX = 'Output_';

const writeOutput = outputWriter(OUTPUT_NAMES, { dynamicPrefixes: [METRIC_PREFIX, OUTPUT_PREFIX] });

export interface JobReference {
  readonly name: string;
  readonly status: string;
  readonly studioUrl: string;
  readonly experimentName?: string;
}

/** Set as soon as the job exists, so that they are there even when waiting fails or is cancelled. */
export function setJobOutputs(job: JobReference): void {
  writeOutput('JobName', job.name);
  writeOutput('StudioUrl', job.studioUrl);
  writeOutput('JobStatus', job.status);
}

/** `mse` -> `mse`, `val.loss@epoch-1` -> `val_loss_epoch_1`: what a pipeline variable name can hold. */
export function variableSuffix(name: string): string {
  return name.replace(/[^A-Za-z0-9_]/g, '_');
}

/** The final status, as soon as it is known. */
export function setFinalStatus(status: string): void {
  writeOutput('JobStatus', status);
}

/** The final metrics and outputs in the task log, where a reader of the pipeline run looks first. */
export function logResults(results: JobResults): void {
  const metrics = Object.entries(results.metrics);
  if (metrics.length > 0) {
    info('Metrics:');
    for (const [name, value] of metrics) info(`  ${name} = ${value}`);
  }
  const outputs = Object.entries(results.outputs);
  if (outputs.length > 0) {
    info('Outputs:');
    for (const [name, uri] of outputs) info(`  ${name}: ${uri}`);
  }
}

/** Metrics and Outputs as JSON, and one variable per metric and per output. */
export function setResultOutputs(results: JobResults): void {
  writeOutput('Metrics', JSON.stringify(results.metrics));
  writeOutput('Outputs', JSON.stringify(results.outputs));
  writeEach(METRIC_PREFIX, results.metrics, 'metrics');
  writeEach(OUTPUT_PREFIX, results.outputs, 'outputs');
}

function writeEach(prefix: typeof METRIC_PREFIX | typeof OUTPUT_PREFIX, values: Readonly<Record<string, number | string>>, what: string): void {
  const written = new Map<string, string>();
  for (const [name, value] of Object.entries(values)) {
    const suffix = variableSuffix(name);
    if (suffix === '') continue;
    const variable = `${prefix}${suffix}`;
    const earlier = written.get(variable);
    if (earlier !== undefined) {
      warning(`The ${what} '${earlier}' and '${name}' both become the output variable ${variable}; it holds the value of '${name}'. Read both from ${prefix === METRIC_PREFIX ? 'Metrics' : 'Outputs'} (JSON).`);
    }
    written.set(variable, name);
    writeOutput(variable as `${typeof prefix}${string}`, value);
  }
}

export interface SummaryInput {
  readonly job: JobReference;
  /** True when the task re-attached to a job submitted earlier. */
  readonly attached: boolean;
  /** Undefined when the task did not wait. */
  readonly outcome?: JobOutcome;
  readonly results?: JobResults;
}

/** The run summary section: the job, its status and duration, its metrics and outputs, the studio link. */
export function publishJobSummary(input: SummaryInput): void {
  const { job, outcome, results } = input;
  const summary = new SummaryBuilder().heading(`Azure ML job ${job.name}`);
  summary.keyValueTable([
    ['Job', job.name],
    ['Experiment', job.experimentName],
    ['Status', outcome ? describeStatus(outcome) : `${job.status} (the task did not wait for it to finish)`],
    ['Duration', outcome ? formatDuration(outcome.startedAt, outcome.endedAt) : undefined],
    ['Submitted by', input.attached ? 'an earlier run (the task re-attached to it)' : 'this task'],
  ]);
  if (results && Object.keys(results.metrics).length > 0) summary.metricsTable(results.metrics);
  if (results && Object.keys(results.outputs).length > 0) summary.table(['Output', 'URI'], Object.entries(results.outputs));
  summary.link('Open the job in Azure ML studio', job.studioUrl);
  try {
    publishSummary('Azure ML training job', summary.toMarkdown());
  } catch (error) {
    // The summary is a convenience: never let it change the task's result.
    info(`The run summary was not published: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function describeStatus(outcome: JobOutcome): string {
  return outcome.timedOut ? `${outcome.status} (cancelled by the task: timeout)` : outcome.status;
}

/** `1 h 02 min 03 s`, `4 min 05 s`, `12 s`; undefined when a time is missing. */
export function formatDuration(startedAt: Date | undefined, endedAt: Date | undefined): string | undefined {
  if (!startedAt || !endedAt) return undefined;
  const totalSeconds = Math.max(0, Math.round((endedAt.getTime() - startedAt.getTime()) / 1000));
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  const pad = (n: number): string => String(n).padStart(2, '0');
  if (hours > 0) return `${hours} h ${pad(minutes)} min ${pad(seconds)} s`;
  if (minutes > 0) return `${minutes} min ${pad(seconds)} s`;
  return `${seconds} s`;
}
