import type { EmulatorRequest, RouteHandler, Router } from '../../http/router';
import { MlflowError, mlflowHandler } from '../errors';
import { isObject, type Json } from '../resources';
import { PROVIDER } from '../scope';
import type { AzureMlService } from '../service';
import { latestMetrics, type Experiment, type Metric, type TrackedRun } from '../tracking';
import { parseRunFilter } from './searchFilter';

const DATA_PLANE = { kind: 'dataPlane' } as const;

/** `{history}/mlflow/v1.0/W/api/2.0/mlflow/` (docs/architecture.md). */
export const MLFLOW_ROUTE = `/mlflow/v1.0/subscriptions/:subscriptionId/resourceGroups/:resourceGroupName/providers/${PROVIDER}/workspaces/:workspaceName/api/2.0/mlflow`;

/** The MLflow REST API 2.0 as Azure ML's tracking server answers it, for the runs of the workspace's jobs. */
export function registerMlflowRoutes(router: Router, svc: AzureMlService): void {
  const { tracking } = svc;
  const add = (method: string, op: string, handler: (req: EmulatorRequest, params: Json) => Json): void => {
    const wrapped: RouteHandler = (req) => {
      svc.scope.assertWorkspace(req.params);
      const params = method === 'GET' ? queryParams(req) : bodyParams(req);
      return { status: 200, body: handler(req, params) };
    };
    router.add(method, `${MLFLOW_ROUTE}/${op}`, DATA_PLANE, mlflowHandler(wrapped));
  };

  add('GET', 'runs/get', (_req, p) => ({ run: runJson(svc, tracking.requireRun(runIdOf(p))) }));

  add('POST', 'runs/search', (_req, p) => {
    const experimentIds = Array.isArray(p['experiment_ids']) ? p['experiment_ids'].map(String) : [];
    const predicate = parseRunFilter(typeof p['filter'] === 'string' ? p['filter'] : undefined);
    const viewType = String(p['run_view_type'] ?? 'ACTIVE_ONLY');
    // Runs are never deleted here: DELETED_ONLY finds none.
    let runs = viewType === 'DELETED_ONLY' ? [] : tracking.allRuns();
    if (experimentIds.length > 0) runs = runs.filter((r) => experimentIds.includes(r.experimentId));
    runs = sortRuns(runs.filter(predicate), Array.isArray(p['order_by']) ? p['order_by'].map(String) : []);
    const maxResults = p['max_results'] === undefined ? 1000 : Number(p['max_results']);
    if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > 50000) {
      throw new MlflowError('INVALID_PARAMETER_VALUE', `Invalid value ${String(p['max_results'])} for parameter 'max_results' supplied. It must be between 1 and 50000.`);
    }
    const offset = decodeToken(p['page_token']);
    const pageRuns = runs.slice(offset, offset + maxResults);
    const out: Json = {};
    // MLflow's JSON omits empty repeated fields.
    if (pageRuns.length > 0) out['runs'] = pageRuns.map((r) => runJson(svc, r));
    if (offset + maxResults < runs.length) out['next_page_token'] = encodeToken(offset + maxResults);
    return out;
  });

  add('GET', 'metrics/get-history', (_req, p) => {
    const run = tracking.requireRun(runIdOf(p));
    const key = required(p, 'metric_key');
    const history = run.metrics.get(key) ?? [];
    const maxResults = p['max_results'] === undefined ? 25000 : Number(p['max_results']);
    const offset = decodeToken(p['page_token']);
    const slice = history.slice(offset, offset + maxResults);
    const out: Json = {};
    if (slice.length > 0) out['metrics'] = slice.map(metricJson);
    if (offset + maxResults < history.length) out['next_page_token'] = encodeToken(offset + maxResults);
    return out;
  });

  add('POST', 'runs/log-metric', (_req, p) => {
    const run = tracking.requireRun(runIdOf(p));
    tracking.logMetric(run, metricFrom(p));
    return {};
  });

  add('POST', 'runs/log-parameter', (_req, p) => {
    const run = tracking.requireRun(runIdOf(p));
    tracking.logParam(run, required(p, 'key'), stringValue(p, 'value'));
    return {};
  });

  add('POST', 'runs/set-tag', (_req, p) => {
    const run = tracking.requireRun(runIdOf(p));
    tracking.setTag(run, required(p, 'key'), stringValue(p, 'value'));
    return {};
  });

  add('POST', 'runs/log-batch', (_req, p) => {
    const run = tracking.requireRun(runIdOf(p));
    const metrics = listOf(p, 'metrics');
    const params = listOf(p, 'params');
    const tags = listOf(p, 'tags');
    if (metrics.length > 1000 || params.length > 100 || tags.length > 100) {
      throw new MlflowError('INVALID_PARAMETER_VALUE', 'A batch logging request can contain at most 1000 metrics, 100 params and 100 tags.');
    }
    // Validate everything before storing anything, as MLflow does.
    const parsedMetrics = metrics.map(metricFrom);
    const parsedParams = params.map((m) => [required(m, 'key'), stringValue(m, 'value')] as const);
    const parsedTags = tags.map((m) => [required(m, 'key'), stringValue(m, 'value')] as const);
    for (const [key, value] of parsedParams) {
      const previous = run.params.get(key);
      if (previous !== undefined && previous !== value) tracking.logParam(run, key, value);
    }
    for (const m of parsedMetrics) tracking.logMetric(run, m);
    for (const [key, value] of parsedParams) tracking.logParam(run, key, value);
    for (const [key, value] of parsedTags) tracking.setTag(run, key, value);
    return {};
  });

  add('POST', 'runs/update', (_req, p) => {
    // A job's run status belongs to the job: the update is acknowledged but the status follows the job.
    const run = tracking.requireRun(runIdOf(p));
    if (typeof p['run_name'] === 'string' && p['run_name'] !== '') tracking.setTag(run, 'mlflow.runName', p['run_name']);
    return { run_info: runJson(svc, run)['info'] };
  });

  add('GET', 'experiments/get-by-name', (_req, p) => {
    const name = required(p, 'experiment_name');
    const experiment = tracking.experimentByName(name);
    if (!experiment) throw new MlflowError('RESOURCE_DOES_NOT_EXIST', `Experiment '${name}' does not exist.`);
    return { experiment: experimentJson(svc, experiment) };
  });

  add('GET', 'experiments/get', (_req, p) => {
    const id = required(p, 'experiment_id');
    const experiment = tracking.experimentById(id);
    if (!experiment) throw new MlflowError('RESOURCE_DOES_NOT_EXIST', `No Experiment with id=${id} exists`);
    return { experiment: experimentJson(svc, experiment) };
  });

  add('POST', 'experiments/search', () => {
    const experiments = tracking.experiments();
    return experiments.length > 0 ? { experiments: experiments.map((e) => experimentJson(svc, e)) } : {};
  });
}

export function runJson(svc: AzureMlService, run: TrackedRun): Json {
  const { scope } = svc;
  const info: Json = {
    run_id: run.runId,
    run_uuid: run.runId,
    run_name: run.runName,
    experiment_id: run.experimentId,
    user_id: run.userId,
    status: run.status,
    artifact_uri: `azureml://${scope.regionalHost}/mlflow/v2.0/${scope.path}/experiments/${run.experimentId}/runs/${run.runId}/artifacts`,
    lifecycle_stage: 'active',
  };
  if (run.startTime !== undefined) info['start_time'] = run.startTime;
  if (run.endTime !== undefined) info['end_time'] = run.endTime;
  const data: Json = {};
  const metrics = latestMetrics(run);
  if (metrics.length > 0) data['metrics'] = metrics.map(metricJson);
  if (run.params.size > 0) data['params'] = [...run.params].map(([key, value]) => ({ key, value }));
  if (run.tags.size > 0) data['tags'] = [...run.tags].map(([key, value]) => ({ key, value }));
  return { info, data, inputs: {} };
}

function experimentJson(svc: AzureMlService, experiment: Experiment): Json {
  return {
    experiment_id: experiment.experimentId,
    name: experiment.name,
    artifact_location: `azureml://${svc.scope.regionalHost}/mlflow/v2.0/${svc.scope.path}/experiments/${experiment.experimentId}`,
    lifecycle_stage: 'active',
    last_update_time: experiment.lastUpdateTime,
    creation_time: experiment.creationTime,
    ...(experiment.tags.size > 0 ? { tags: [...experiment.tags].map(([key, value]) => ({ key, value })) } : {}),
  };
}

function metricJson(m: Metric): Json {
  return { key: m.key, value: m.value, timestamp: m.timestamp, step: m.step };
}

function metricFrom(p: Json): Metric {
  const key = required(p, 'key');
  const raw = p['value'];
  const value = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : Number.NaN;
  if (raw === undefined || raw === null || (typeof raw !== 'number' && Number.isNaN(value) && raw !== 'NaN')) {
    throw new MlflowError('INVALID_PARAMETER_VALUE', `Missing or invalid value for required parameter 'value' of metric '${key}'. It must be a number.`);
  }
  const timestamp = p['timestamp'] === undefined ? Date.now() : Number(p['timestamp']);
  const step = p['step'] === undefined ? 0 : Number(p['step']);
  if (!Number.isInteger(timestamp) || !Number.isInteger(step)) {
    throw new MlflowError('INVALID_PARAMETER_VALUE', `The timestamp and step of metric '${key}' must be integers.`);
  }
  return { key, value, timestamp, step };
}

function runIdOf(p: Json): string {
  const id = p['run_id'] ?? p['run_uuid'];
  if (typeof id !== 'string' || id === '') {
    throw new MlflowError('INVALID_PARAMETER_VALUE', "Missing value for required parameter 'run_id'. See the API docs for more information about request parameters.");
  }
  return id;
}

function required(p: Json, name: string): string {
  const value = p[name];
  if (typeof value !== 'string' || value === '') {
    throw new MlflowError('INVALID_PARAMETER_VALUE', `Missing value for required parameter '${name}'. See the API docs for more information about request parameters.`);
  }
  return value;
}

function stringValue(p: Json, name: string): string {
  const value = p[name];
  if (value === undefined || value === null) {
    throw new MlflowError('INVALID_PARAMETER_VALUE', `Missing value for required parameter '${name}'. See the API docs for more information about request parameters.`);
  }
  return String(value);
}

function listOf(p: Json, name: string): Json[] {
  const value = p[name];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every(isObject)) throw new MlflowError('INVALID_PARAMETER_VALUE', `Parameter '${name}' must be a list of objects.`);
  return value;
}

function queryParams(req: EmulatorRequest): Json {
  const out: Json = {};
  req.query.forEach((value, key) => {
    out[key] = value;
  });
  return out;
}

function bodyParams(req: EmulatorRequest): Json {
  if (req.body.length === 0) return {};
  let body: unknown;
  try {
    body = JSON.parse(req.body.toString('utf8'));
  } catch {
    throw new MlflowError('BAD_REQUEST', 'The request body is not valid JSON.');
  }
  if (!isObject(body)) throw new MlflowError('BAD_REQUEST', 'The request body must be a JSON object.');
  return body;
}

function sortRuns(runs: TrackedRun[], orderBy: readonly string[]): TrackedRun[] {
  const clauses = orderBy.length > 0 ? orderBy : ['attributes.start_time DESC'];
  const keys = clauses.map((c) => {
    const m = /^\s*(?:(metrics?|params?|tags?|attributes?|attr)\.)?(`[^`]+`|"[^"]+"|[\w.\-]+)\s*(ASC|DESC)?\s*$/i.exec(c);
    if (!m) throw new MlflowError('INVALID_PARAMETER_VALUE', `Invalid order_by clause '${c}'.`);
    const entity = (m[1] ?? 'attributes').toLowerCase();
    const key = m[2]!.replace(/^[`"]|[`"]$/g, '');
    const sign = (m[3] ?? 'ASC').toUpperCase() === 'DESC' ? -1 : 1;
    const read = (r: TrackedRun): string | number | undefined => {
      if (entity.startsWith('metric')) return latestMetrics(r).find((x) => x.key === key)?.value;
      if (entity.startsWith('param')) return r.params.get(key);
      if (entity.startsWith('tag')) return r.tags.get(key);
      const attribute: Record<string, string | number | undefined> = { start_time: r.startTime, end_time: r.endTime, run_name: r.runName, status: r.status, run_id: r.runId };
      return attribute[key.toLowerCase()];
    };
    return { read, sign };
  });
  return [...runs].sort((a, b) => {
    for (const { read, sign } of keys) {
      const x = read(a);
      const y = read(b);
      if (x === y) continue;
      // Runs lacking the value sort last, as in MLflow.
      if (x === undefined) return 1;
      if (y === undefined) return -1;
      return sign * (x < y ? -1 : 1);
    }
    return a.runId.localeCompare(b.runId);
  });
}

function decodeToken(token: unknown): number {
  if (token === undefined || token === null || token === '') return 0;
  const n = Number.parseInt(Buffer.from(String(token), 'base64url').toString('utf8'), 10);
  if (!Number.isInteger(n) || n < 0) throw new MlflowError('INVALID_PARAMETER_VALUE', `Invalid page token '${String(token)}'.`);
  return n;
}

function encodeToken(offset: number): string {
  return Buffer.from(String(offset), 'utf8').toString('base64url');
}
