/** Azure ML jobs (API 2022-10-01 JobBase) as the tasks read them: the resource, its studio link, its results. */
import type { MlflowClient, MlflowRun } from '../azure/mlflow';
import type { WorkspaceClient } from '../azure/workspace';
import { getIfExists } from './resources';

/** The fields of a job resource the tasks read. */
export interface JobResource {
  readonly id?: string;
  readonly name?: string;
  readonly properties?: {
    readonly jobType?: string;
    readonly status?: string;
    readonly experimentName?: string;
    readonly displayName?: string | null;
    readonly description?: string | null;
    readonly tags?: Readonly<Record<string, string>> | null;
    readonly properties?: Readonly<Record<string, string>> | null;
    readonly services?: Readonly<Record<string, { readonly endpoint?: string | null } | null>> | null;
    readonly inputs?: Readonly<Record<string, JobInput | null>> | null;
    readonly outputs?: Readonly<Record<string, { readonly uri?: string | null; readonly jobOutputType?: string } | null>> | null;
  };
}

/** A job input as the service reports it: a literal value, or a URI (data asset ARM id, datastore path, https). */
export interface JobInput {
  readonly jobInputType?: string;
  readonly uri?: string | null;
  readonly value?: string | null;
}

export type JobAccess = Pick<WorkspaceClient, 'armRequest' | 'workspaceArmPath'>;

export function jobArmPath(workspace: Pick<WorkspaceClient, 'workspaceArmPath'>, jobName: string): string {
  return `${workspace.workspaceArmPath}/jobs/${encodeURIComponent(jobName)}`;
}

export async function getJob(workspace: JobAccess, jobName: string, abortSignal?: AbortSignal): Promise<JobResource> {
  const response = await workspace.armRequest<JobResource>('GET', jobArmPath(workspace, jobName), undefined, { abortSignal });
  return response.body ?? {};
}

/** The job, or undefined when the workspace has no job of that name. */
export function getJobIfExists(workspace: JobAccess, jobName: string, abortSignal?: AbortSignal): Promise<JobResource | undefined> {
  return getIfExists<JobResource>(workspace, jobArmPath(workspace, jobName), abortSignal);
}

export function isPipelineJob(job: JobResource): boolean {
  return (job.properties?.jobType ?? '').toLowerCase() === 'pipeline';
}

/** The job's status as reported, or 'Unknown' when the resource has none. */
export function statusOf(job: JobResource | undefined): string {
  return job?.properties?.status || 'Unknown';
}

/**
 * The job's page in Azure ML studio: the Studio service endpoint the service reports, else the link the studio
 * itself uses (`https://ml.azure.com/runs/<name>?wsid=<workspace ARM id>&tid=<tenant>`).
 */
export function studioUrl(job: JobResource | undefined, name: string, workspace: Pick<WorkspaceClient, 'workspaceArmPath' | 'connection'>): string {
  const endpoint = job?.properties?.services?.['Studio']?.endpoint;
  if (endpoint && /^https:\/\//i.test(endpoint)) return endpoint;
  const query = new URLSearchParams({ wsid: workspace.workspaceArmPath, tid: workspace.connection.tenantId });
  return `https://ml.azure.com/runs/${encodeURIComponent(name)}?${query.toString()}`;
}

/** A pipeline step's name: the child run's MLflow run name (the step's key in the pipeline YAML), else its id. */
export function stepNameOf(run: MlflowRun): string {
  const tag = run.data.tags?.find((t) => t.key === 'mlflow.runName')?.value;
  return tag || run.info.run_name || run.info.run_id;
}

export interface JobResults {
  /** Final value of each metric: the job's own, and for a pipeline each step's as `<step>.<metric>`. */
  readonly metrics: Readonly<Record<string, number>>;
  /** For a pipeline job: each step's own metrics, by step name. Empty for other jobs. */
  readonly steps: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** URI of each named output (the job's `default` artifacts output is left out). */
  readonly outputs: Readonly<Record<string, string>>;
}

export type JobResultsAccess = JobAccess & { readonly mlflow: Pick<MlflowClient, 'getRun' | 'searchRuns'> };

/** A job's metrics (MLflow; the MLflow run id of a job is its name) and named output URIs, keys sorted. */
export async function readJobResults(workspace: JobResultsAccess, jobName: string, abortSignal?: AbortSignal, job?: JobResource): Promise<JobResults> {
  const resource = job ?? (await getJob(workspace, jobName, abortSignal));
  const outputs: Record<string, string> = {};
  for (const [name, output] of sortedEntries(resource.properties?.outputs ?? {})) {
    if (name === 'default') continue;
    const uri = output?.uri;
    if (typeof uri === 'string' && uri !== '') outputs[name] = uri;
  }

  const metrics: Record<string, number> = {};
  const steps: Record<string, Record<string, number>> = {};
  const run = await workspace.mlflow.getRun(jobName, abortSignal);
  if (run) {
    if (isPipelineJob(resource)) {
      const children = await workspace.mlflow.searchRuns({ experimentIds: [run.info.experiment_id], parentRunId: jobName, abortSignal });
      for (const child of children) {
        const stepMetrics = latestMetrics(child);
        steps[stepNameOf(child)] = stepMetrics;
        for (const [key, value] of Object.entries(stepMetrics)) metrics[`${stepNameOf(child)}.${key}`] = value;
      }
    }
    Object.assign(metrics, latestMetrics(run));
  }
  return {
    metrics: Object.fromEntries(sortedEntries(metrics)),
    steps: Object.fromEntries(sortedEntries(steps)),
    outputs,
  };
}

/** MLflow's run.data.metrics holds the latest value of each metric. */
function latestMetrics(run: MlflowRun): Record<string, number> {
  const metrics: Record<string, number> = {};
  for (const metric of run.data.metrics ?? []) {
    if (typeof metric.value === 'number') metrics[metric.key] = metric.value;
  }
  return Object.fromEntries(sortedEntries(metrics));
}

function sortedEntries<T>(record: Readonly<Record<string, T>>): Array<[string, T]> {
  return Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
