import { uuidFrom } from '../config';
import { MlflowError } from './errors';

/** Run statuses of MLflow (RunStatus enum). */
export type MlflowRunStatus = 'RUNNING' | 'SCHEDULED' | 'FINISHED' | 'FAILED' | 'KILLED';

export interface Metric {
  readonly key: string;
  readonly value: number;
  readonly timestamp: number;
  readonly step: number;
}

export interface Experiment {
  readonly experimentId: string;
  readonly name: string;
  readonly creationTime: number;
  lastUpdateTime: number;
  readonly tags: Map<string, string>;
}

export interface TrackedRun {
  readonly runId: string;
  readonly experimentId: string;
  runName: string;
  readonly userId: string;
  status: MlflowRunStatus;
  startTime?: number;
  endTime?: number;
  readonly metrics: Map<string, Metric[]>;
  readonly params: Map<string, string>;
  readonly tags: Map<string, string>;
}

/**
 * Experiments, runs, metrics, params and tags: what Azure ML's MLflow-compatible tracking server stores. A job's run
 * exists from submission (run id = job name), so a script can log to it as soon as it starts.
 */
export class TrackingStore {
  private readonly experimentsById = new Map<string, Experiment>();
  private readonly experimentsByName = new Map<string, Experiment>();
  private readonly runs = new Map<string, TrackedRun>();

  constructor(private readonly workspaceId: string) {}

  experimentByName(name: string): Experiment | undefined {
    return this.experimentsByName.get(name);
  }

  experimentById(id: string): Experiment | undefined {
    return this.experimentsById.get(id);
  }

  experiments(): Experiment[] {
    return [...this.experimentsById.values()];
  }

  /** Azure ML experiment ids are GUIDs; derive them from the name so they are stable across emulator restarts. */
  ensureExperiment(name: string): Experiment {
    const existing = this.experimentsByName.get(name);
    if (existing) return existing;
    const now = Date.now();
    const experiment: Experiment = { experimentId: uuidFrom(`${this.workspaceId}/experiment/${name}`), name, creationTime: now, lastUpdateTime: now, tags: new Map() };
    this.experimentsById.set(experiment.experimentId, experiment);
    this.experimentsByName.set(name, experiment);
    return experiment;
  }

  createRun(init: { runId: string; experimentName: string; runName: string; userId: string; tags: Record<string, string> }): TrackedRun {
    const experiment = this.ensureExperiment(init.experimentName);
    const run: TrackedRun = {
      runId: init.runId,
      experimentId: experiment.experimentId,
      runName: init.runName,
      userId: init.userId,
      status: 'SCHEDULED',
      metrics: new Map(),
      params: new Map(),
      tags: new Map(Object.entries(init.tags)),
    };
    this.runs.set(run.runId, run);
    return run;
  }

  run(runId: string): TrackedRun | undefined {
    return this.runs.get(runId);
  }

  requireRun(runId: string): TrackedRun {
    const run = this.runs.get(runId);
    if (!run) throw new MlflowError('RESOURCE_DOES_NOT_EXIST', `Run with id=${runId} not found`);
    return run;
  }

  allRuns(): TrackedRun[] {
    return [...this.runs.values()];
  }

  logMetric(run: TrackedRun, metric: Metric): void {
    const history = run.metrics.get(metric.key) ?? [];
    history.push(metric);
    run.metrics.set(metric.key, history);
  }

  logParam(run: TrackedRun, key: string, value: string): void {
    const previous = run.params.get(key);
    if (previous !== undefined && previous !== value) {
      throw new MlflowError(
        'INVALID_PARAMETER_VALUE',
        `Changing param values is not allowed. Param with key='${key}' was already logged with value='${previous}' for run ID='${run.runId}'. Attempted logging new value '${value}'.`,
      );
    }
    run.params.set(key, value);
  }

  setTag(run: TrackedRun, key: string, value: string): void {
    run.tags.set(key, value);
    if (key === 'mlflow.runName') run.runName = value;
  }
}

/** MLflow's "latest" metric value: highest step, then latest timestamp, then largest value. */
export function latestMetric(history: readonly Metric[]): Metric | undefined {
  let best: Metric | undefined;
  for (const m of history) {
    if (!best || m.step > best.step || (m.step === best.step && (m.timestamp > best.timestamp || (m.timestamp === best.timestamp && m.value >= best.value)))) {
      best = m;
    }
  }
  return best;
}

export function latestMetrics(run: TrackedRun): Metric[] {
  const out: Metric[] = [];
  for (const history of run.metrics.values()) {
    const latest = latestMetric(history);
    if (latest) out.push(latest);
  }
  return out;
}
