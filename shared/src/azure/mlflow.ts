import { sendJsonRequest, SendRequest } from './rest';
import { DataPlaneDiscovery } from './dataPlane';

export interface MlflowRunInfo {
  readonly run_id: string;
  readonly run_uuid?: string;
  readonly run_name?: string;
  readonly experiment_id: string;
  readonly status?: string;
  readonly start_time?: number;
  readonly end_time?: number;
  readonly artifact_uri?: string;
  readonly lifecycle_stage?: string;
}

export interface MlflowMetric {
  readonly key: string;
  readonly value: number;
  readonly timestamp: number;
  readonly step?: number;
}

export interface MlflowKeyValue {
  readonly key: string;
  readonly value: string;
}

export interface MlflowRun {
  readonly info: MlflowRunInfo;
  readonly data: {
    readonly metrics?: MlflowMetric[];
    readonly params?: MlflowKeyValue[];
    readonly tags?: MlflowKeyValue[];
  };
}

export interface MlflowExperiment {
  readonly experiment_id: string;
  readonly name: string;
  readonly artifact_location?: string;
  readonly lifecycle_stage?: string;
}

export interface SearchRunsOptions {
  readonly experimentIds: readonly string[];
  /** MLflow search filter, e.g. `metrics.r2 > 0.5`. */
  readonly filter?: string;
  /** Only children of this run (pipeline steps, sweep trials): adds `tags.mlflow.parentRunId = '<id>'`. */
  readonly parentRunId?: string;
  readonly orderBy?: readonly string[];
  /** Stop after this many runs (default 1000). */
  readonly maxRuns?: number;
  readonly abortSignal?: AbortSignal;
}

const PAGE_SIZE = 200;

/** Quotes a value for an MLflow search filter string literal. */
export function mlflowFilterLiteral(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/**
 * The workspace's MLflow tracking API (open-source MLflow REST 2.0 under
 * `{history}/mlflow/v1.0/<workspace scope>/api/2.0/mlflow/`). An Azure ML job's MLflow run id is the job name.
 */
export class MlflowClient {
  constructor(
    private readonly discovery: DataPlaneDiscovery,
    private readonly send: SendRequest,
    private readonly workspaceScope: string,
  ) {}

  private async url(route: string, query?: Record<string, string>): Promise<string> {
    const { history } = await this.discovery.endpoints();
    const url = new URL(`${history}/mlflow/v1.0/${this.workspaceScope}/api/2.0/mlflow/${route}`);
    for (const [key, value] of Object.entries(query ?? {})) url.searchParams.set(key, value);
    return url.href;
  }

  /** The run, or undefined when it does not exist (yet). */
  async getRun(runId: string, abortSignal?: AbortSignal): Promise<MlflowRun | undefined> {
    const response = await sendJsonRequest<{ run?: MlflowRun }>(this.send, 'GET', await this.url('runs/get', { run_id: runId }), {
      abortSignal,
      allowedStatuses: [404],
    });
    return response.status === 404 ? undefined : response.body?.run;
  }

  /** Every run matching the search (follows page tokens up to `maxRuns`). */
  async searchRuns(options: SearchRunsOptions): Promise<MlflowRun[]> {
    const runs: MlflowRun[] = [];
    const maxRuns = options.maxRuns ?? 1000;
    let pageToken: string | undefined;
    const filters = [
      ...(options.parentRunId ? [`tags.mlflow.parentRunId = ${mlflowFilterLiteral(options.parentRunId)}`] : []),
      ...(options.filter ? [options.filter] : []),
    ];
    do {
      const body: Record<string, unknown> = {
        experiment_ids: options.experimentIds,
        max_results: Math.min(PAGE_SIZE, maxRuns - runs.length),
        ...(filters.length > 0 ? { filter: filters.join(' and ') } : {}),
        ...(options.orderBy ? { order_by: options.orderBy } : {}),
        ...(pageToken ? { page_token: pageToken } : {}),
      };
      const response = await sendJsonRequest<{ runs?: MlflowRun[]; next_page_token?: string }>(
        this.send,
        'POST',
        await this.url('runs/search'),
        { body, abortSignal: options.abortSignal },
      );
      runs.push(...(response.body?.runs ?? []));
      pageToken = response.body?.next_page_token || undefined;
    } while (pageToken && runs.length < maxRuns);
    return runs;
  }

  /** Child runs of a pipeline job or sweep (`tags.mlflow.parentRunId`); empty when the parent does not exist. */
  async childRuns(parentRunId: string, abortSignal?: AbortSignal): Promise<MlflowRun[]> {
    const parent = await this.getRun(parentRunId, abortSignal);
    if (!parent) return [];
    return this.searchRuns({ experimentIds: [parent.info.experiment_id], parentRunId, abortSignal });
  }

  /** Every logged value of one metric, in the order MLflow returns them. */
  async getMetricHistory(runId: string, metricKey: string, abortSignal?: AbortSignal): Promise<MlflowMetric[]> {
    const metrics: MlflowMetric[] = [];
    let pageToken: string | undefined;
    do {
      const query: Record<string, string> = { run_id: runId, metric_key: metricKey };
      if (pageToken) query.page_token = pageToken;
      const response = await sendJsonRequest<{ metrics?: MlflowMetric[]; next_page_token?: string }>(
        this.send,
        'GET',
        await this.url('metrics/get-history', query),
        { abortSignal },
      );
      metrics.push(...(response.body?.metrics ?? []));
      pageToken = response.body?.next_page_token || undefined;
    } while (pageToken);
    return metrics;
  }

  /** Latest value of each metric of the run (MLflow's run.data.metrics); empty when the run does not exist. */
  async latestMetrics(runId: string, abortSignal?: AbortSignal): Promise<Record<string, number>> {
    const run = await this.getRun(runId, abortSignal);
    const latest: Record<string, number> = {};
    for (const metric of run?.data.metrics ?? []) latest[metric.key] = metric.value;
    return latest;
  }

  async getExperimentByName(name: string, abortSignal?: AbortSignal): Promise<MlflowExperiment | undefined> {
    const response = await sendJsonRequest<{ experiment?: MlflowExperiment }>(
      this.send,
      'GET',
      await this.url('experiments/get-by-name', { experiment_name: name }),
      { abortSignal, allowedStatuses: [404] },
    );
    return response.status === 404 ? undefined : response.body?.experiment;
  }

  /** Logs metrics, params and tags on a run in one call (runs/log-batch). */
  async logBatch(
    runId: string,
    batch: { metrics?: MlflowMetric[]; params?: MlflowKeyValue[]; tags?: MlflowKeyValue[] },
    abortSignal?: AbortSignal,
  ): Promise<void> {
    await sendJsonRequest(this.send, 'POST', await this.url('runs/log-batch'), {
      body: { run_id: runId, metrics: batch.metrics ?? [], params: batch.params ?? [], tags: batch.tags ?? [] },
      abortSignal,
    });
  }
}
